"""Indonesia's 38 provinces, as an agency writes them in `agency.province`.

The province becomes part of every storage key (`{province}/...`) and of the files' metadata,
so "kalimantan  tengah" and "Provinsi Kalimantan Tengah" must land in the same folder as
"Kalimantan Tengah": spelling variants are accepted and written the official way. Short
forms ("Kalteng", "Jabar") and English names are refused with the official name to use,
since they would open a second folder for the same province.

Source: Kementerian Dalam Negeri's list of provinces after the 2022 Papua split
(UU 14, 15 and 16/2022: Papua Selatan, Papua Tengah, Papua Pegunungan; UU 29/2022:
Papua Barat Daya), 38 in all. Jakarta keeps the "DKI Jakarta" name used in the
kode wilayah tables; "Daerah Khusus Jakarta" (UU 2/2024) is accepted as a variant.
"""

from __future__ import annotations

import difflib
import re

PROVINCES: tuple[str, ...] = (
    "Aceh",
    "Sumatera Utara",
    "Sumatera Barat",
    "Riau",
    "Kepulauan Riau",
    "Jambi",
    "Sumatera Selatan",
    "Kepulauan Bangka Belitung",
    "Bengkulu",
    "Lampung",
    "DKI Jakarta",
    "Jawa Barat",
    "Banten",
    "Jawa Tengah",
    "DI Yogyakarta",
    "Jawa Timur",
    "Bali",
    "Nusa Tenggara Barat",
    "Nusa Tenggara Timur",
    "Kalimantan Barat",
    "Kalimantan Tengah",
    "Kalimantan Selatan",
    "Kalimantan Timur",
    "Kalimantan Utara",
    "Sulawesi Utara",
    "Gorontalo",
    "Sulawesi Tengah",
    "Sulawesi Barat",
    "Sulawesi Selatan",
    "Sulawesi Tenggara",
    "Maluku",
    "Maluku Utara",
    "Papua",
    "Papua Barat",
    "Papua Barat Daya",
    "Papua Tengah",
    "Papua Pegunungan",
    "Papua Selatan",
)

# Longer official forms of the same names: accepted and written the short official way.
_LONG_FORMS = {
    "Daerah Khusus Ibukota Jakarta": "DKI Jakarta",
    "Daerah Khusus Ibu Kota Jakarta": "DKI Jakarta",
    "Daerah Khusus Jakarta": "DKI Jakarta",
    "DK Jakarta": "DKI Jakarta",
    "Daerah Istimewa Yogyakarta": "DI Yogyakarta",
    "Bangka Belitung": "Kepulauan Bangka Belitung",
}

# Short and everyday names people write: refused, with the official name to write instead.
COMMON_NAMES = {
    "NAD": "Aceh", "Nanggroe Aceh Darussalam": "Aceh",
    "Sumut": "Sumatera Utara", "Sumbar": "Sumatera Barat", "Sumsel": "Sumatera Selatan",
    "Kepri": "Kepulauan Riau", "Babel": "Kepulauan Bangka Belitung",
    "Jakarta": "DKI Jakarta", "DKI": "DKI Jakarta",
    "Jabar": "Jawa Barat", "Jateng": "Jawa Tengah", "Jatim": "Jawa Timur",
    "DIY": "DI Yogyakarta", "Yogyakarta": "DI Yogyakarta", "Jogja": "DI Yogyakarta", "Jogjakarta": "DI Yogyakarta",
    "Yogya": "DI Yogyakarta",
    "NTB": "Nusa Tenggara Barat", "NTT": "Nusa Tenggara Timur",
    "Kalbar": "Kalimantan Barat", "Kalteng": "Kalimantan Tengah", "Kalsel": "Kalimantan Selatan",
    "Kaltim": "Kalimantan Timur", "Kaltara": "Kalimantan Utara",
    "Sulut": "Sulawesi Utara", "Sulteng": "Sulawesi Tengah", "Sulbar": "Sulawesi Barat",
    "Sulsel": "Sulawesi Selatan", "Sultra": "Sulawesi Tenggara",
    "Malut": "Maluku Utara", "Pabar": "Papua Barat", "PBD": "Papua Barat Daya",
    "Papteng": "Papua Tengah", "Pegunungan": "Papua Pegunungan",
    "West Java": "Jawa Barat", "Central Java": "Jawa Tengah", "East Java": "Jawa Timur",
    "North Sumatra": "Sumatera Utara", "West Sumatra": "Sumatera Barat", "South Sumatra": "Sumatera Selatan",
    "West Kalimantan": "Kalimantan Barat", "Central Kalimantan": "Kalimantan Tengah",
    "South Kalimantan": "Kalimantan Selatan", "East Kalimantan": "Kalimantan Timur",
    "North Kalimantan": "Kalimantan Utara", "North Sulawesi": "Sulawesi Utara",
    "Central Sulawesi": "Sulawesi Tengah", "West Sulawesi": "Sulawesi Barat", "South Sulawesi": "Sulawesi Selatan",
    "Southeast Sulawesi": "Sulawesi Tenggara", "North Maluku": "Maluku Utara", "West Papua": "Papua Barat",
    "West Nusa Tenggara": "Nusa Tenggara Barat", "East Nusa Tenggara": "Nusa Tenggara Timur",
    "Riau Islands": "Kepulauan Riau", "Bangka Belitung Islands": "Kepulauan Bangka Belitung",
    "Jakarta Raya": "DKI Jakarta", "Daerah Istimewa Aceh": "Aceh",
    "Irian Jaya": "Papua", "Irian Jaya Barat": "Papua Barat",
}  # fmt: skip

_PREFIX = re.compile(r"^\s*(?:provinsi|propinsi|prov\.?|province(?: of)?)\s+", re.IGNORECASE)


def _key(name: str) -> str:
    """Case, spacing, punctuation, the word "Provinsi" and the "Sumatra"/"Sumatera" spelling do not count."""
    plain = _PREFIX.sub("", name).lower().replace("sumatra", "sumatera")
    plain = re.sub(r"^\s*kep\b\.?", "kepulauan", plain)  # "Kep. Riau": the usual short form of Kepulauan
    return re.sub(r"[^a-z]", "", plain)


_OFFICIAL = {_key(p): p for p in PROVINCES} | {_key(k): v for k, v in _LONG_FORMS.items()}
_COMMON = {_key(k): v for k, v in COMMON_NAMES.items()}


def canonical(name: str) -> str:
    """The official spelling of `name` when it is one (in any case or spacing); else `name` unchanged."""
    return _OFFICIAL.get(_key(name), name)


def suggestion(name: str) -> str | None:
    """The province a short, English or misspelt name most likely means, or None."""
    key = _key(name)
    if key in _COMMON:
        return _COMMON[key]
    close = difflib.get_close_matches(key, list(_OFFICIAL), n=1, cutoff=0.75)
    return _OFFICIAL[close[0]] if close else None
