"""The site's words in both languages at once: pages are written in Indonesian and in English in one run.

msgids are English, as everywhere in psa; the Indonesian comes from psa's gettext catalogue when
it has the string, else from the table below (the same pairs are in locale/id/site.po.fragment),
so the Indonesian pages never fall back to English before the catalogues are merged.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache

from psa_pipeline.core.i18n import LOCALE_DIR

LANGS = ("id", "en")

INDONESIAN: dict[str, str] = {
    "Anti-corruption public service announcements": "Iklan layanan masyarakat antikorupsi",
    "Radio dramas and videos from government agencies across Indonesia, free to play, download and share.": (
        "Drama radio dan video dari instansi pemerintah di seluruh Indonesia, bebas diputar, diunduh dan dibagikan."
    ),
    "Latest PSAs": "ILM terbaru",
    "Browse": "Jelajahi",
    "Province": "Provinsi",
    "Agency": "Instansi",
    "Theme": "Tema",
    "Language": "Bahasa",
    "Languages": "Bahasa",
    "Radio drama": "Drama radio",
    "Video": "Video",
    "Published": "Diterbitkan",
    "No PSAs here yet.": "Belum ada ILM di sini.",
    "Home": "Beranda",
    "Check authenticity": "Cek keaslian",
    "Captions": "Teks",
    "Listen": "Dengarkan",
    "Downloads for radio stations": "Unduhan untuk stasiun radio",
    "Download to re-share (WhatsApp)": "Unduh untuk dibagikan ulang (WhatsApp)",
    "Share": "Bagikan",
    "Podcast feed for radio stations and podcast apps": "Umpan podcast untuk stasiun radio dan aplikasi podcast",
    "Report corruption: www.lapor.go.id, SMS 1708": "Laporkan korupsi: www.lapor.go.id, SMS 1708",
    "Received a PSA on WhatsApp or social media? Check that it is the official file, unchanged.": (
        "Menerima ILM lewat WhatsApp atau media sosial? Pastikan itu berkas resmi yang tidak diubah."
    ),
    "Choose or drop a video or audio file. It is checked in your browser and never uploaded.": (
        "Pilih atau letakkan berkas video atau audio. Berkas diperiksa di peramban Anda dan tidak diunggah."
    ),
    "Checking…": "Memeriksa…",
    "Official file": "Berkas resmi",
    "Not an official file: it differs from every published PSA (it may have been edited).": (
        "Bukan berkas resmi: berkas ini berbeda dari semua ILM yang diterbitkan (mungkin telah diubah)."
    ),
    "no longer shown": "tidak lagi ditayangkan",
    "This browser cannot check files; use a current browser or psa verify.": (
        "Peramban ini tidak dapat memeriksa berkas; gunakan peramban terbaru atau psa verify."
    ),
    "Bahasa Indonesia": "Bahasa Indonesia",
    "English": "English",
}


@cache
def _catalogue() -> gettext.NullTranslations:
    return gettext.translation("psa", LOCALE_DIR, languages=["id"], fallback=True)


def translator(lang: str) -> Callable[[str], str]:
    if lang == "en":
        return lambda message: message

    def indonesian(message: str) -> str:
        translated = _catalogue().gettext(message)
        return translated if translated != message else INDONESIAN.get(message, message)

    return indonesian
