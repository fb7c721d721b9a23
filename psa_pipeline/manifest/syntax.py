"""YAML syntax errors explained as the mistake a person made: a tab in the indentation, a missing colon.

PyYAML reports where its scanner gave up ("could not find expected ':'", often a line after the
mistake); people need the line they got wrong and what to type instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import Location, Problem

# A mapping key followed by a value with no colon between them: `title "Tolak Pungli"`, `  code X`.
_KEY_WITHOUT_COLON = re.compile(r"^(\s*)([A-Za-z_][A-Za-z0-9_-]*)[ \t]+([^\s#].*)$")
LOOK_BACK = 3  # lines above the scanner's position where the mistake may be


def explain(file: Path, text: str, error: yaml.MarkedYAMLError) -> list[Problem]:
    """Problems naming each line to fix, or [] when the error is not one of the known mistakes."""
    lines = text.splitlines()
    tabs = [
        Problem(
            "error",
            "yaml",
            _("this line is indented with a tab; YAML allows only spaces: replace the tab with spaces"),
            Location(file, number, line.index("\t") + 1),
        )
        for number, line in enumerate(lines, start=1)
        if "\t" in line[: len(line) - len(line.lstrip())]
    ]
    if tabs:
        return tabs
    marks = [m for m in (error.context_mark, error.problem_mark) if m is not None]
    if not marks:
        return []
    last = max(m.line for m in marks)
    first = max(0, min(m.line for m in marks) - LOOK_BACK)
    for index in range(min(last, len(lines) - 1), first - 1, -1):
        line = lines[index]
        found = _KEY_WITHOUT_COLON.match(line)
        if found is None or found.group(3).startswith(":"):  # `key : value` is valid YAML
            continue
        indent, key, value = found.groups()
        message = _("missing ':' after '{key}': write `{key}: {value}`").format(key=key, value=value.strip())
        return [Problem("error", "yaml", message, Location(file, index + 1, len(indent) + len(key) + 1))]
    return []
