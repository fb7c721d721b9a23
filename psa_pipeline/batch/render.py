"""Jinja2 for the review pages: autoescaped, gettext installed, templates shipped in the package."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from psa_pipeline.core import i18n
from psa_pipeline.core.i18n import _, ngettext

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment(*extra: Path) -> jinja2.Environment:
    """One environment per template search path; `extra` folders (the review app's) are searched first."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*(str(p) for p in extra), str(TEMPLATES)]),
        autoescape=True,
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the page, not silently blanks it
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # Looked up at each call, so `psa --lang` and PSA_LANG apply to every page.
    env.install_gettext_callables(_, ngettext, newstyle=True)  # type: ignore[attr-defined]
    env.filters["mb"] = lambda size: f"{size / 1e6:.2f}"
    env.filters["seconds"] = lambda value: f"{value:.1f}"
    return env


def render(template: str, *extra: Path, **context: Any) -> str:
    return environment(*extra).get_template(template).render(lang=i18n.current(), **context)
