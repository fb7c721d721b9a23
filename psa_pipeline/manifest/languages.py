"""Languages PSAs are made in: ISO 639-3 code -> (English name, name in Indonesian, BCP-47 tag)."""

from __future__ import annotations

from typing import NamedTuple


class Language(NamedTuple):
    name: str
    local_name: str
    bcp47: str


LANGUAGES: dict[str, Language] = {
    "ind": Language("Indonesian", "Bahasa Indonesia", "id"),
    "nij": Language("Ngaju", "Dayak Ngaju", "nij"),
    "bjn": Language("Banjar", "Bahasa Banjar", "bjn"),
    "vkt": Language("Tenggarong Kutai Malay", "Bahasa Kutai Tenggarong", "vkt"),
    "mqg": Language("Kota Bangun Kutai Malay", "Bahasa Kutai Kota Bangun", "mqg"),
    "mui": Language("Musi", "Bahasa Palembang (Musi)", "mui"),
    "jav": Language("Javanese", "Bahasa Jawa", "jv"),
    "sun": Language("Sundanese", "Bahasa Sunda", "su"),
    "mad": Language("Madurese", "Bahasa Madura", "mad"),
    "bug": Language("Buginese", "Bahasa Bugis", "bug"),
    "min": Language("Minangkabau", "Bahasa Minangkabau", "min"),
    "ban": Language("Balinese", "Bahasa Bali", "ban"),
    "ace": Language("Acehnese", "Bahasa Aceh", "ace"),
    "msa": Language("Malay", "Bahasa Melayu", "ms"),
    "eng": Language("English", "Bahasa Inggris", "en"),
}


def label(code: str) -> str:
    """Human track title for a language code, e.g. 'Dayak Ngaju'."""
    known = LANGUAGES.get(code)
    return known.local_name if known else code
