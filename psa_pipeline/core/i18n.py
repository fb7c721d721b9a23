"""User-facing text through gettext: Bahasa Indonesia first, English available.

msgids are English; catalogues live in `psa_pipeline/locale/<lang>/LC_MESSAGES/psa.mo`.
The language is chosen by `--lang`, then `PSA_LANG`, then the locale, and defaults to
Indonesian: the people who read psa's output are Indonesian civil servants and citizens.
"""

from __future__ import annotations

import gettext
import locale
import os
from functools import cache
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT = "id"
_chosen: str | None = None
_WINDOWS_NAMES = {"indonesian": "id", "english": "en"}


def choose(language: str | None) -> None:
    """Set the language for this process (`--lang`); None goes back to PSA_LANG / the locale."""
    global _chosen
    _chosen = language if language in LANGUAGES else None


def current() -> str:
    if _chosen:
        return _chosen
    wanted = os.environ.get("PSA_LANG", "")
    if not wanted:
        # Windows has no LC_MESSAGES, and names its locales in words: 'Indonesian_Indonesia', 'English_United States'.
        category = getattr(locale, "LC_MESSAGES", locale.LC_CTYPE)
        wanted = locale.getlocale(category)[0] or ""
    code = wanted.split("_")[0].split(".")[0].lower()
    code = _WINDOWS_NAMES.get(code, code)
    return code if code in LANGUAGES else DEFAULT


@cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation("psa", LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    return _translations(current()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations(current()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark a module-level text for extraction; it is translated where it is used, with `_`."""
    return message
