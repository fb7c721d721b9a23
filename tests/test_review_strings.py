"""The review pages and commands speak Indonesian: every string they show has a translation in the catalogue."""

from __future__ import annotations

import ast
import re

import jinja2
import jinja2.ext
from babel.messages.pofile import read_po
from helpers import ROOT

PACKAGE = ROOT / "psa_pipeline"
CATALOGUE = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "psa.po"
TEMPLATES = [
    *sorted((PACKAGE / "batch" / "templates").glob("*.html")),
    *sorted((PACKAGE / "review" / "templates").glob("*.html")),
]
MODULES = [*sorted((PACKAGE / "approval").glob("*.py")), *sorted((PACKAGE / "review").glob("*.py")),
           PACKAGE / "cli" / "approve.py", PACKAGE / "cli" / "review.py", PACKAGE / "batch" / "publish.py",
           PACKAGE / "batch" / "report.py"]  # fmt: skip


def translations() -> dict[str, str]:
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    found: dict[str, str] = {}
    for message in catalogue:
        if not message.id:
            continue
        msgid = message.id if isinstance(message.id, str) else message.id[0]
        msgstr = message.string if isinstance(message.string, str) else message.string[0]
        found[msgid] = msgstr
    return found


def template_msgids() -> set[str]:
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    ids = set()
    for template in TEMPLATES:
        for _line, _function, message in jinja2.ext.extract_from_ast(env.parse(template.read_text(encoding="utf-8"))):
            ids.add(message[0] if isinstance(message, tuple) else message)
    return ids


def python_msgids() -> set[str]:
    ids = set()
    for module in MODULES:
        for node in ast.walk(ast.parse(module.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_", "ngettext"):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{module}:{node.lineno}: a msgid must be a literal"
                ids.add(first.value)
    return ids


def test_every_string_of_the_review_pages_and_commands_has_an_indonesian_translation() -> None:
    known = translations()
    wanted = template_msgids() | python_msgids()
    assert len(wanted) > 50
    assert sorted(wanted - known.keys()) == []
    for msgid in wanted:
        msgstr = known[msgid]
        assert (msgstr and msgstr != msgid) or msgid in ("Login", "Manifest (psa.yaml)", "%(num)d PSA"), msgid
        # the same placeholders, or formatting fails at run time in Indonesian only
        assert sorted(re.findall(r"\{\w+(?::\w+)?\}|%\(\w+\)\w", msgid)) == sorted(
            re.findall(r"\{\w+(?::\w+)?\}|%\(\w+\)\w", msgstr)
        ), msgid
