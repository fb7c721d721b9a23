"""The site's pages, pure: site index + the time -> {key: HTML}. Indonesian at `site/`, English at `site/en/`.

Links are relative, so the same files work from a folder, a USB stick, S3 or a web server; media
are never preloaded (`preload="none"`, lazy images): a page costs a few kilobytes on a 2G link
until the reader presses play.
"""

from __future__ import annotations

import datetime as dt
import json
import posixpath
import re
from dataclasses import dataclass, field

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from psa_pipeline.manifest.languages import LANGUAGES
from psa_pipeline.manifest.themes import THEMES
from psa_pipeline.records.site import SiteFile, SiteIndex, SitePsa
from psa_pipeline.site.store import SITE, visible
from psa_pipeline.site.text import LANGS, translator

FACETS = ("provinsi", "instansi", "tema", "bahasa")  # URL folders, in Indonesian on both language versions
FACET_LABEL = {"provinsi": "Province", "instansi": "Agency", "tema": "Theme", "bahasa": "Language"}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


def prefix(lang: str) -> str:
    return SITE if lang == "id" else f"{SITE}{lang}/"


def psa_page(psa_id: str, lang: str) -> str:
    return f"{prefix(lang)}psa/{psa_id}.html"


def facet_page(facet: str, value: str, lang: str) -> str:
    return f"{prefix(lang)}{facet}/{value}.html"


def feed_key(facet: str, value: str) -> str:
    return f"{SITE}feed/{facet}/{value}.xml"


def facet_values(psa: SitePsa) -> dict[str, list[tuple[str, str]]]:
    """Each facet's (slug, label) pairs for one PSA."""
    return {
        "provinsi": [(slug(psa.agency.province), psa.agency.province)],
        "instansi": [(slug(psa.agency.code), psa.agency.name)],
        "tema": [(theme, theme) for theme in psa.themes],
        "bahasa": [(code, _language(code)) for code in dict.fromkeys([psa.language, *psa.subtitle_languages])],
    }


def _language(code: str) -> str:
    known = LANGUAGES.get(code)
    return known.local_name if known else code


def bcp47(code: str) -> str:
    known = LANGUAGES.get(code)
    return known.bcp47 if known else code


def relative(page: str, key: str) -> str:
    return posixpath.relpath(key, posixpath.dirname(page))


def link(page: str, f: SiteFile) -> str:
    """A file's link from a page: relative when the site's destination holds it, else its own URL."""
    return relative(page, f.key) if f.in_site_store else f.url


@dataclass
class Choice:
    """What a PSA page plays and offers: picked from the published files by channel and kind."""

    video: SiteFile | None = None
    audio: SiteFile | None = None
    tracks: list[SiteFile] = field(default_factory=list)
    radio: list[SiteFile] = field(default_factory=list)
    reshare: list[SiteFile] = field(default_factory=list)


def choose(psa: SitePsa) -> Choice:
    media = [f for f in psa.files if f.kind != "subtitle"]
    videos = [f for f in media if f.kind == "video"]
    # The web rendition carries soft captions and plays in every browser; the smallest one loads fastest.
    web = sorted((f for f in videos if f.channel == "web"), key=lambda f: f.size)
    video = next(iter(web or sorted(videos, key=lambda f: f.size)), None)
    audios = sorted((f for f in media if f.kind == "audio" and not f.file.endswith(".wav")), key=lambda f: f.size)
    choice = Choice(video=video, audio=None if video else next(iter(audios), None))
    vtts = [f for f in psa.files if f.kind == "subtitle" and f.file.endswith(".vtt")]
    # One track per language, from the rendition that plays when there is one.
    for f in sorted(vtts, key=lambda f: (video is None or f.channel != video.channel, f.lang or "")):
        if all(t.lang != f.lang for t in choice.tracks):
            choice.tracks.append(f)
    choice.radio = [f for f in media if f.channel == "radio"]
    choice.reshare = [f for f in media if f.channel == "whatsapp"]
    return choice


class Pages:
    def __init__(self, index: SiteIndex, now: dt.datetime, site_url: str | None) -> None:
        self.index = index
        self.shown = [p for p in index.psas.values() if visible(p, now)]
        self.shown.sort(key=lambda p: (p.published_at, p.id), reverse=True)
        self.site_url = site_url  # the public address of `site/`, for share links; None when not served
        self.env = Environment(
            loader=PackageLoader("psa_pipeline.site", "templates"),
            autoescape=select_autoescape(default=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters["size"] = lambda size: f"{size / 1e6:.1f} MB" if size >= 100_000 else f"{-(-size // 1000)} kB"

    def render(self) -> dict[str, str]:
        pages: dict[str, str] = {}
        for lang in LANGS:
            pages[prefix(lang) + "index.html"] = self._list(lang, prefix(lang) + "index.html", None, self.shown)
            pages[prefix(lang) + "cek.html"] = self._page("cek.html", lang, prefix(lang) + "cek.html")
            for facet, value, label, psas in self.facets():
                page = facet_page(facet, value, lang)
                pages[page] = self._list(lang, page, (facet, label), psas)
            for psa in self.shown:
                pages[psa_page(psa.id, lang)] = self._psa(psa, lang)
        return pages

    def facets(self) -> list[tuple[str, str, str, list[SitePsa]]]:
        found: dict[tuple[str, str], tuple[str, list[SitePsa]]] = {}
        for psa in self.shown:
            for facet, pairs in facet_values(psa).items():
                for value, label in pairs:
                    found.setdefault((facet, value), (label, []))[1].append(psa)
        return [(facet, value, label, psas) for (facet, value), (label, psas) in sorted(found.items())]

    def stale(self) -> list[str]:
        """Pages of PSAs and facets that exist in the index but are not shown now (expired): to delete."""
        shown = {p.id for p in self.shown}
        live = {(facet, value) for facet, value, _, _ in self.facets()}
        keys = []
        for psa in self.index.psas.values():
            for lang in LANGS:
                if psa.id not in shown:
                    keys.append(psa_page(psa.id, lang))
                keys += [
                    facet_page(facet, value, lang)
                    for facet, pairs in facet_values(psa).items()
                    for value, _ in pairs
                    if (facet, value) not in live
                ]
        return sorted(set(keys))

    def _page(self, template: str, lang: str, page: str, **context: object) -> str:
        t = translator(lang)
        other = "en" if lang == "id" else "id"
        return self.env.get_template(template).render(
            t=t,
            lang=lang,
            page=page,
            root=relative(page, prefix(lang)) + "/",
            static=relative(page, SITE + "static") + "/",
            switch=relative(page, prefix(other) + page.removeprefix(prefix(lang))),
            switch_label=t("English") if lang == "id" else "Bahasa Indonesia",
            facet_label=FACET_LABEL,
            **context,
        )

    def _list(self, lang: str, page: str, facet: tuple[str, str] | None, psas: list[SitePsa]) -> str:
        cards = [self._card(psa, lang, page) for psa in psas]
        groups = []
        if facet is None:
            for name in FACETS:
                entries = [(label, relative(page, facet_page(f, v, lang)), len(ps)) for f, v, label, ps in self.facets()
                           if f == name]  # fmt: skip
                groups.append((FACET_LABEL[name], entries))
        feed = None
        if facet is not None and facet[0] in ("provinsi", "instansi") and any(choose(p).radio for p in psas):
            feed = relative(page, feed_key(facet[0], page.rsplit("/", 1)[1].removesuffix(".html")))
        return self._page("list.html", lang, page, cards=cards, groups=groups, facet=facet, feed=feed)

    def _card(self, psa: SitePsa, lang: str, page: str) -> dict[str, object]:
        return {
            "psa": psa,
            "href": relative(page, psa_page(psa.id, lang)),
            "kind": "Radio drama" if psa.kind == "radio-drama" else "Video",
            "date": psa.published_at[:10],
        }

    def _psa(self, psa: SitePsa, lang: str) -> str:
        page = psa_page(psa.id, lang)
        choice = choose(psa)
        facets = {
            name: [(label, relative(page, facet_page(name, value, lang))) for value, label in pairs]
            for name, pairs in facet_values(psa).items()
        }
        share_url = f"{self.site_url}/{page.removeprefix(SITE)}" if self.site_url else None
        share_text = f"{psa.title} — {psa.agency.name}" + (f" {share_url}" if share_url else "")
        return self._page(
            "psa.html", lang, page, psa=psa, choice=choice, facets=facets,
            link=lambda f: link(page, f), bcp47=bcp47, language=_language,
            kind="Radio drama" if psa.kind == "radio-drama" else "Video",
            share_text=share_text, share_url=share_url, themes=THEMES,
        )  # fmt: skip


def hashes_js(index: SiteIndex, now: dt.datetime) -> str:
    """`site/hashes.js`: every published file's SHA-256 -> what it is, for the Cek keaslian panel.

    A script rather than JSON so the check works from a folder opened in a browser (file:// pages
    cannot fetch JSON). Expired PSAs stay in it: their files are still authentic, and a citizen
    holding one must not be told it is fake.
    """
    table: dict[str, list[object]] = {}
    for psa in index.psas.values():
        for f in psa.files:
            table.setdefault(f.sha256, [psa.id, psa.title, psa.agency.name, f.file, f.channel, visible(psa, now)])
    return "window.PSA_HASHES = " + json.dumps(table, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + ";\n"
