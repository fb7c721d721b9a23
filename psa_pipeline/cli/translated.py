"""Click in the user's language: help texts translated when they are shown, and Click's own words.

Click reads a command's help (its docstring), the options' help and the epilog when a module is
imported, before `--lang` is parsed. The classes here translate them when the help is rendered,
through psa's catalogue, with the English text as msgid: option help and epilogs are marked with
`N_`, docstrings of commands are extracted by `extract_commands` (named in babel.cfg).

Click's own words ("Usage:", "Missing argument", ...) come from Click's gettext domain, which psa
leaves alone (binding it would change the messages of every library in the process). Instead the
headings are written by the classes here with psa's `_`, and the Click error messages a psa user
can meet are msgids of psa's catalogue too: `show_error` finds them in the English text Click
produced and puts the translation in their place.
"""

from __future__ import annotations

import ast
import inspect
import io
import re
import sys
from collections.abc import Callable, Iterator
from functools import cache, partial
from typing import IO, Any

import click

from psa_pipeline.core.i18n import N_, _

# Click's error messages psa's commands can produce, in the order they are looked for: the
# outer sentences first (their `{message}` then holds one of the inner ones), and the sentences
# with more words before those with fewer ("is not one of" before "is not {choice}").
CLICK_MESSAGES = (
    N_("Invalid value for {param_hint}: {message}"),
    N_("Invalid value: {message}"),
    N_("Missing argument"),
    N_("Missing option"),
    N_("Missing parameter"),
    N_("Missing command."),
    N_("No such option {name!r}."),
    N_("No such command {name!r}."),
    N_("(Did you mean one of: {possibilities}?)"),
    N_("Did you mean {possibility}?"),
    N_("Got unexpected extra argument ({args})"),
    N_("Got unexpected extra arguments ({args})"),
    N_("Option {name!r} requires an argument."),
    N_("Option {name!r} requires {nargs} arguments."),
    N_("Option {name!r} does not take a value."),
    N_("{value!r} is not one of {choices}."),
    N_("{value!r} is not a valid {number_type}."),
    N_("{value} is not in the range {range}."),
    N_("{value!r} is not {choice}."),
    N_("{name} {filename!r} does not exist."),
    N_("{name} {filename!r} is a file."),
    N_("{name} {filename!r} is a directory."),
    N_("{name} {filename!r} is not readable."),
    N_("{name} {filename!r} is not writable."),
)
# Words Click puts into those sentences, and into the brackets after an option's help.
CLICK_WORDS = {
    "File": N_("File"),
    "Directory": N_("Directory"),
    "Path": N_("Path"),
    "integer": N_("integer"),
    "float": N_("float"),
    "integer range": N_("integer range"),
    "float range": N_("float range"),
    "required": N_("required"),
}
HELP_DEFAULT = N_("default: {default}")
# The help of the option Click adds itself (--help), translated like every option's help.
CLICK_HELP = N_("Show this message and exit.")
USAGE_PIECES = {"[OPTIONS]": N_("[OPTIONS]"), "COMMAND [ARGS]...": N_("COMMAND [ARGS]...")}
_FIELD = re.compile(r"\{(\w+)(?:!([rs]))?\}")
_QUOTED = r"'[^']*'|\"[^\"]*\"|\S+"
# A word, a number: so that the search, which takes the leftmost match, does not start a sentence early.
_NARROW = {"name": r"\w+", "value": r"\S+"}


@cache
def _pattern(template: str) -> re.Pattern[str]:
    pieces = _FIELD.split(template)  # literal, name, conversion, literal, ...
    regex = ""
    for index in range(0, len(pieces), 3):
        regex += re.escape(pieces[index])
        if index + 1 < len(pieces):
            name, conversion = pieces[index + 1], pieces[index + 2]
            last = index + 3 >= len(pieces) - 1 and not pieces[-1]
            wide = ".+" if last else ".+?"
            regex += f"(?P<{name}>{_QUOTED if conversion == 'r' else _NARROW.get(name, wide)})"
    return re.compile(regex)


def _fill(template: str, found: re.Match[str]) -> str:
    values = {
        name: _(CLICK_WORDS[value]) if value in CLICK_WORDS else value for name, value in found.groupdict().items()
    }
    return _FIELD.sub(r"{\1}", _(template)).format(**values)


def translate_click(text: str) -> str:
    """Click's English message with every sentence psa's catalogue knows in the user's language."""
    for template in CLICK_MESSAGES:
        text = _pattern(template).sub(partial(_fill, template), text)
    return text


def show_error(error: click.ClickException, file: IO[str] | None = None) -> None:
    """What `ClickException.show` prints, in the user's language."""
    stream = file or sys.stderr
    if type(error).show not in (click.ClickException.show, click.UsageError.show):
        # An exception that shows something else: the help of a group called without a command, rendered
        # by the classes below, so already in the user's language.
        error.show(stream)
        return
    if isinstance(error, click.UsageError) and error.ctx is not None:
        ctx = error.ctx
        hint = ""
        if ctx.command.get_help_option(ctx) is not None:
            option = max(ctx.help_option_names, key=len)
            hint = _("Try '{command} {option}' for help.").format(command=ctx.command_path, option=option) + "\n"
        click.echo(f"{ctx.get_usage()}\n{hint}", file=stream, color=ctx.color)
    message = translate_click(error.format_message())
    click.echo(_("Error: {message}").format(message=message), file=stream)


def _help(text: str | None) -> str:
    """A help text as Click shows it, translated: the English (cleaned like a docstring) is the msgid."""
    return _(inspect.cleandoc(text)).partition("\f")[0] if text else ""


def _short(text: str, limit: int) -> str:
    """The first sentence of the help, cut to `limit` characters, as Click's command list shows it."""
    words = text.partition("\n\n")[0].split()
    if words and words[0] == "\b":
        words = words[1:]
    sentence: list[str] = []
    for word in words:
        sentence.append(word)
        if word.endswith("."):
            break
    short = " ".join(sentence)
    return short if len(short) <= limit else short[: limit - 3].rsplit(" ", 1)[0] + "..."


def _option_help(param: click.Parameter, ctx: click.Context) -> tuple[str, str] | None:
    record = param.get_help_record(ctx)
    if record is None or isinstance(param, click.Argument):
        return None
    spec, shown = record
    english = getattr(param, "help", None) or ""
    extra = shown[len(english) :].strip() if shown.startswith(english) else ""
    if extra.startswith("[") and extra.endswith("]"):
        items = []
        for item in extra[1:-1].split("; "):
            if item.startswith("default: "):
                item = _(HELP_DEFAULT).format(default=item.removeprefix("default: "))
            items.append(_(CLICK_WORDS[item]) if item in CLICK_WORDS else item)
        extra = "[" + "; ".join(items) + "]"
    text = _help(english)
    return spec, f"{text}  {extra}" if text and extra else text or extra


class PromptOption(click.Option):
    """An option asked for when not given, with the question in the user's language (`prompt`, marked N_)."""

    def prompt_for_value(self, ctx: click.Context) -> Any:
        asked, again = self.prompt, self.confirmation_prompt
        self.prompt = _(asked) if asked else asked
        self.confirmation_prompt = _(again) if isinstance(again, str) else again
        try:
            return super().prompt_for_value(ctx)
        finally:
            self.prompt, self.confirmation_prompt = asked, again


class HelpFormatter(click.HelpFormatter):
    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, args, prefix if prefix is not None else _("Usage:") + " ")


class Context(click.Context):
    formatter_class = HelpFormatter


class _Translated(click.Command):
    """Help, option help, epilog and headings translated when shown."""

    context_class = Context

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pieces = [_(USAGE_PIECES[p]) if p in USAGE_PIECES else p for p in self.collect_usage_pieces(ctx)]
        formatter.write_usage(ctx.command_path, " ".join(pieces))

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        text = _help(self.help)
        if text:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(text)

    def get_short_help_str(self, limit: int = 45) -> str:
        return _short(_help(self.short_help or self.help), limit)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [row for param in self.get_params(ctx) if (row := _option_help(param, ctx)) is not None]
        if rows:
            with formatter.section(_("Options")):
                formatter.write_dl(rows)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            formatter.write_paragraph()
            with formatter.indentation():
                formatter.write_text(_help(self.epilog))


class Command(_Translated):
    pass


class Group(_Translated, click.Group):
    command_class = Command
    group_class = type  # subgroups are Groups too

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        self.format_commands(ctx, formatter)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        commands = [
            (name, c) for name in self.list_commands(ctx) if (c := self.get_command(ctx, name)) and not c.hidden
        ]
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _c in commands)
            with formatter.section(_("Commands")):
                formatter.write_dl([(name, c.get_short_help_str(limit)) for name, c in commands])


def command(*args: Any, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Command]:
    """`click.command` with the translated help."""
    return click.command(*args, cls=Command, **kwargs)


def group(*args: Any, cls: type[Group] = Group, **kwargs: Any) -> Callable[[Callable[..., Any]], click.Group]:
    """`click.group` with the translated help; its subcommands are translated too."""
    return click.group(*args, cls=cls, **kwargs)


_COMMAND_DECORATORS = frozenset({"command", "group"})


def extract_commands(fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any) -> Iterator[Any]:
    """Babel extraction method for cli/: the messages `_`/`N_` mark, and every command's docstring.

    The docstring is what Click shows as the command's help (cleaned like `inspect.cleandoc`), so it is
    the msgid `_help` looks up. Named in babel.cfg; only `make i18n` and tests/test_i18n.py call it.
    """
    from babel.messages.extract import extract_python

    source = fileobj.read()
    yield from extract_python(io.BytesIO(source), keywords, comment_tags, options)
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and any(_is_command(d) for d in node.decorator_list):
            docstring = ast.get_docstring(node, clean=True)
            if docstring:
                yield node.lineno, None, docstring, []


def _is_command(decorator: ast.expr) -> bool:
    if not isinstance(decorator, ast.Call):
        return False
    called = decorator.func
    name = called.attr if isinstance(called, ast.Attribute) else called.id if isinstance(called, ast.Name) else ""
    return name in _COMMAND_DECORATORS
