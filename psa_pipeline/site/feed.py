"""Podcast / radio feeds: RSS 2.0 with iTunes and Podcasting 2.0 tags, one per province and one per agency.

Stations and podcast apps subscribe instead of downloading by hand. Each PSA with radio renditions
is one episode: the MP3 is the enclosure (what every podcast app plays), the broadcast WAV a
`podcast:alternateEnclosure`, and the sidecar subtitles `podcast:transcript`s. GUIDs are the PSA id
under a fixed prefix, so a regenerated feed (or a new version of a PSA) never shows as a new episode.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.feed import FeedGenerator
from lxml import etree

from psa_pipeline.records.site import SiteFile, SitePsa
from psa_pipeline.site.pages import bcp47, choose

PODCAST_NS = "https://podcastindex.org/namespace/1.0"
GUID_PREFIX = "psa-pipeline:"
# podcast:guid is a UUIDv5 of the feed URL without its scheme, in this namespace (Podcasting 2.0 spec).
PODCAST_GUID_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
Absolute = Callable[[SiteFile], str]


def guid(psa: SitePsa) -> str:
    return GUID_PREFIX + psa.id


class _Podcast2(BaseExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.guid: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, feed: etree._Element) -> etree._Element:
        channel = feed[0]
        etree.SubElement(channel, f"{{{PODCAST_NS}}}locked").text = "no"
        if self.guid:
            etree.SubElement(channel, f"{{{PODCAST_NS}}}guid").text = self.guid
        return feed


class _Podcast2Entry(BaseEntryExtension):  # type: ignore[misc]
    def __init__(self) -> None:
        self.transcripts: list[tuple[str, str, str]] = []  # url, type, language
        self.alternates: list[tuple[str, str, int]] = []  # url, type, length

    def extend_ns(self) -> dict[str, str]:
        return {"podcast": PODCAST_NS}

    def extend_rss(self, item: etree._Element) -> etree._Element:
        for url, kind, lang in self.transcripts:
            etree.SubElement(item, f"{{{PODCAST_NS}}}transcript", url=url, type=kind, language=lang)
        for url, kind, length in self.alternates:
            alternate = etree.SubElement(item, f"{{{PODCAST_NS}}}alternateEnclosure", type=kind, length=str(length))
            etree.SubElement(alternate, f"{{{PODCAST_NS}}}source", uri=url)
        return item


def feed_xml(
    title: str, psas: list[SitePsa], self_url: str, page_url: str, art_url: str, absolute: Absolute, updated: str
) -> bytes:
    fg = FeedGenerator()
    fg.load_extension("podcast")
    fg.register_extension("podcast2", _Podcast2, _Podcast2Entry)
    fg.title(title)
    # feedgen takes the RSS <link> from the last link given: the page, not the feed itself.
    fg.link(href=self_url, rel="self")
    fg.link(href=page_url, rel="alternate")
    fg.description("Iklan layanan masyarakat antikorupsi untuk stasiun radio: " + title)
    fg.language("id")
    fg.generator("psa-pipeline")
    fg.lastBuildDate(dt.datetime.fromisoformat(updated))
    fg.image(url=art_url, title=title, link=page_url)
    fg.podcast.itunes_image(art_url)
    fg.podcast.itunes_category("Government")
    fg.podcast.itunes_explicit("no")
    fg.podcast.itunes_author(title)
    fg.podcast.itunes_type("episodic")
    fg.podcast2.guid = str(uuid.uuid5(PODCAST_GUID_NAMESPACE, self_url.split("://", 1)[-1].rstrip("/")))
    # feedgen writes entries in reverse order of adding: add the oldest first so the newest leads.
    for psa in sorted(psas, key=lambda p: (p.published_at, p.id)):
        _episode(fg, psa, absolute)
    xml: bytes = fg.rss_str(pretty=True)
    return xml


def _episode(fg: FeedGenerator, psa: SitePsa, absolute: Absolute) -> None:
    choice = choose(psa)
    mp3 = next((f for f in choice.radio if f.content_type == "audio/mpeg"), None)
    if mp3 is None:
        return
    entry = fg.add_entry()
    entry.guid(guid(psa), permalink=False)
    entry.title(psa.title)
    cta = psa.call_to_action or "Laporkan korupsi: www.lapor.go.id, SMS 1708"
    entry.description(f"{psa.title} — {psa.agency.name}, {psa.agency.province}. {cta}")
    entry.enclosure(absolute(mp3), str(mp3.size), mp3.content_type)
    entry.pubDate(dt.datetime.fromisoformat(psa.published_at))
    if mp3.duration:
        entry.podcast.itunes_duration(round(mp3.duration))
    entry.podcast.itunes_explicit("no")
    for f in choice.radio:
        if f is not mp3:
            entry.podcast2.alternates.append((absolute(f), f.content_type, f.size))
    seen: set[tuple[str, str]] = set()
    for f in psa.files:
        if f.kind == "subtitle" and f.lang and (f.lang, f.content_type) not in seen:
            seen.add((f.lang, f.content_type))
            entry.podcast2.transcripts.append((absolute(f), f.content_type, bcp47(f.lang)))
