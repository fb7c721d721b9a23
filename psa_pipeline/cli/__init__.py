"""The `psa` command line: one thin module per stage (checks, build, publish, batch) and the top-level handler.

The entry point is `run`: user mistakes become one clear line and an exit code, never a traceback;
an unexpected exception (a bug in psa) becomes one line naming a crash report and exit code 70.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from psa_pipeline.cli.crash import EXIT_INTERNAL, report_to, write_report
from psa_pipeline.cli.main import main
from psa_pipeline.cli.translated import show_error
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError

__all__ = ["invoke", "main", "run"]


def invoke(args: Sequence[str] | None = None) -> int:
    """Run the `psa` command with `args` (default: the process's arguments) and return its exit code."""
    argv = list(sys.argv[1:] if args is None else args)
    try:
        main(args=argv, prog_name="psa", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except SystemExit as exc:  # the commands end with sys.exit(code)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 1
    except click.ClickException as exc:
        show_error(exc)  # ClickException.show, in the user's language
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo(_("aborted"), err=True)
        return 130
    except PsaError as exc:
        click.echo(_("psa: error: {message}").format(message=exc), err=True)
        return 1
    except KeyboardInterrupt:
        click.echo(_("interrupted"), err=True)
        return 130
    except OSError as exc:
        detail = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        click.echo(_("psa: error: {message}").format(message=detail), err=True)
        return 1
    except Exception as exc:
        try:
            where = _("a crash report was written to {path}").format(path=write_report(exc, ["psa", *argv]))
        except OSError:
            where = _("no crash report could be written")
        message = _("psa: internal error ({kind}: {detail}); {where}; please send it to {to}").format(
            kind=type(exc).__name__, detail=_short(exc), where=where, to=report_to()
        )
        click.echo(message, err=True)
        return EXIT_INTERNAL
    return 0


def run() -> None:
    """Console entry point (`psa`, `python -m psa_pipeline`)."""
    sys.exit(invoke())


def _short(error: BaseException) -> str:
    text = " ".join(str(error).split())
    return text[:200] + ("..." if len(text) > 200 else "")
