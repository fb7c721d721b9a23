"""The fix for a value that is a near miss: a language written as its name, a date written the Indonesian way.

A schema rule says what is allowed; people who are not programmers need the value they should have
written. Each function returns that sentence, or None when the value is not a recognisable near miss.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic_core import ErrorDetails

from psa_pipeline.core.i18n import _
from psa_pipeline.manifest.languages import LANGUAGES
from psa_pipeline.manifest.yamlsrc import YamlPath

LANGUAGE_KEYS = frozenset({"language", "lang"})
_MAPPING_EXPECTED = frozenset({"model_type", "dict_type", "model_attributes_type"})
_KEY_AND_VALUE = re.compile(r"^([A-Za-z_][A-Za-z0-9_-]*)\s+(\S.*)$")
# Codes people reach for that mean something else (a country code, ISO 639-2 B or a family) -> the code meant.
MISTAKEN_CODES = {"idn": "ind", "day": "nij", "may": "msa", "jaw": "jav", "sund": "sun", "in": "ind"}
# Month names as agencies write them in letters and press releases, Indonesian and English.
MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("januari", "january", "jan"),
            ("februari", "pebruari", "february", "feb", "peb"),
            ("maret", "march", "mar"),
            ("april", "apr"),
            ("mei", "may"),
            ("juni", "june", "jun"),
            ("juli", "july", "jul"),
            ("agustus", "august", "agu", "agt", "aug"),
            ("september", "sept", "sep"),
            ("oktober", "october", "okt", "oct"),
            ("november", "nopember", "nov", "nop"),
            ("desember", "december", "des", "dec"),
        ),
        start=1,
    )
    for name in names
}


def for_value(error: ErrorDetails, path: YamlPath, got: object) -> str | None:
    """The correction for a refused value, if it is a known kind of near miss."""
    key = path[-1] if path else None
    if key in LANGUAGE_KEYS and isinstance(got, str):
        return language(got)
    if error["type"].startswith("date") and got is not None:
        return date(str(got))
    if error["type"] in _MAPPING_EXPECTED and isinstance(got, str) and (found := _KEY_AND_VALUE.match(got)):
        # `sources:` then `  audio media/x.wav` is valid YAML: a mapping whose value is one string.
        return _("missing ':' after '{key}': write `{key}: {value}`").format(key=found[1], value=found[2])
    if key == "id" and isinstance(got, str) and error["type"] == "string_pattern_mismatch":
        slug = "-".join(re.sub(r"[^a-z0-9]+", " ", got.lower()).split())
        if len(slug) >= 3:
            return _("an id is a lowercase slug: write `id: {slug}`").format(slug=slug)
    if path[-2:] == ("agency", "code") and isinstance(got, str) and error["type"] == "string_pattern_mismatch":
        code = "-".join(re.sub(r"[^A-Za-z0-9_]+", " ", got).split()).upper()
        if len(code) >= 2:
            return _("an agency code has only letters, digits, '-' and '_': write `code: {code}`").format(code=code)
    return None


def language(value: str) -> str | None:
    """'Banjar' -> bjn, 'id' -> ind, 'IND' -> ind: the ISO 639-3 code the user meant."""
    text = " ".join(value.strip().lower().split())
    if text in LANGUAGES and text != value:
        if value.strip() != text:
            return _("language codes are lowercase: write {code}").format(code=text)
        return _("write '{name}'").format(name=text)  # stray spaces around the code
    if text in MISTAKEN_CODES:
        return mistaken(text)
    by_two_letters = [code for code, known in LANGUAGES.items() if known.bcp47 == text and len(text) == 2]
    if by_two_letters:
        return _("'{value}' is a two-letter ISO 639-1 code; psa uses ISO 639-3: write {code}").format(
            value=value, code=by_two_letters[0]
        )
    matches = _by_name(text.removeprefix("bahasa ").strip())
    if len(matches) == 1:
        code = matches[0]
        return _("'{value}' is a language name; write its ISO 639-3 code: {code} ({name})").format(
            value=value, code=code, name=LANGUAGES[code].local_name
        )
    if matches:
        choices = ", ".join(f"{code} ({LANGUAGES[code].local_name})" for code in matches)
        return _("'{value}' is a language name; write the ISO 639-3 code of the one you mean: {choices}").format(
            value=value, choices=choices
        )
    return None


def mistaken(code: str) -> str:
    right = MISTAKEN_CODES[code]
    return _("'{value}' is not the ISO 639-3 code of {name}: write {code}").format(
        value=code, name=LANGUAGES[right].local_name, code=right
    )


def _by_name(text: str) -> list[str]:
    exact = [
        code
        for code, known in LANGUAGES.items()
        if text in (known.name.lower(), known.local_name.lower(), known.local_name.lower().removeprefix("bahasa "))
    ]
    if exact:
        return exact
    if len(text) < 3:
        return []
    words = set(text.replace("(", " ").replace(")", " ").split())
    return [
        code
        for code, known in LANGUAGES.items()
        if words
        & set(f"{known.name} {known.local_name}".lower().replace("(", " ").replace(")", " ").split())
        - {"bahasa", "malay"}
    ]


_NUMERIC = re.compile(r"^\s*(\d{1,4})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,4})\s*$")
_WORDS = re.compile(r"^\s*(\d{1,2})\s+([A-Za-z]+)\.?\s+(\d{4})\s*$")
_WORDS_US = re.compile(r"^\s*([A-Za-z]+)\.?\s+(\d{1,2}),?\s+(\d{4})\s*$")


def date(value: str) -> str | None:
    """'10/03/2025', '10-03-2025', '10 Maret 2025' -> 'write 2025-03-10'."""
    found = _read_date(value)
    if found is None:
        return None
    return _("dates are written YYYY-MM-DD (year-month-day): write {date}").format(date=found.isoformat())


def _read_date(value: str) -> dt.date | None:
    parts: tuple[int, int, int] | None = None
    if match := _NUMERIC.match(value):
        first, second, third = (int(g) for g in match.groups())
        # Indonesian dates are day/month/year; a four-digit first number is year/month/day.
        parts = (first, second, third) if len(match.group(1)) == 4 else (third, second, first)
    elif (match := _WORDS.match(value)) and match.group(2).lower() in MONTHS:
        parts = (int(match.group(3)), MONTHS[match.group(2).lower()], int(match.group(1)))
    elif (match := _WORDS_US.match(value)) and match.group(1).lower() in MONTHS:
        parts = (int(match.group(3)), MONTHS[match.group(1).lower()], int(match.group(2)))
    if parts is None:
        return None
    year, month, day = parts
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None
