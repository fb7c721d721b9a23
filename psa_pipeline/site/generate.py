"""Regenerate the site and feeds from the site index, writing only what changed, each file atomically.

Run by publish after a PSA's catalogue entries are in (and by `psa site` to let expiries take
effect without a publish). The index is read, everything is rendered from it, and files whose
bytes differ are written; if the index changed meanwhile (another publisher), everything is
rendered again from the new one, so the last writer never leaves an older view behind.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from psa_pipeline.records.site import SiteFile, SiteIndex, SitePsa
from psa_pipeline.site import pages as site_pages
from psa_pipeline.site.artwork import artwork
from psa_pipeline.site.feed import feed_xml
from psa_pipeline.site.pages import Pages, choose, facet_values, feed_key, hashes_js
from psa_pipeline.site.store import SITE, SiteError, Store, read_index, visible

STATIC = ("site.css", "cek.js")
GENERIC_ART = SITE + "art/psa.png"
MAX_ROUNDS = 5


@dataclass
class Written:
    written: int = 0
    unchanged: int = 0
    deleted: int = 0


def regenerate(store: Store, public: Callable[[str], str], site_url: str | None, now: dt.datetime) -> Written:
    """`public(key)` is a key's absolute URL (feeds need them); `site_url` that of `site/` for share links."""
    done = Written()
    seen: str | None = "-"
    for _ in range(MAX_ROUNDS):
        index, found = read_index(store)
        version = found.version if found else None
        if version == seen:
            return done
        seen = version
        if index is None:
            return done
        for key, data in outputs(index, public, site_url, now).items():
            _put(store, key, data, done)
        for key in Pages(index, now, site_url).stale():
            if store.read(key) is not None:
                store.delete(key)
                done.deleted += 1
    raise SiteError(f"{store.url(SITE)}: the site index kept changing while the site was written; run psa site again")


def outputs(index: SiteIndex, public: Callable[[str], str], site_url: str | None, now: dt.datetime) -> dict[str, bytes]:
    """Every file of the site: pages, static files, the hash table, artwork and feeds (pure)."""
    files = {key: html.encode() for key, html in Pages(index, now, site_url).render().items()}
    for name in STATIC:
        files[f"{SITE}static/{name}"] = _static(name)
    files[SITE + "hashes.js"] = hashes_js(index, now).encode()
    files.update(feeds(index, public, now))
    return files


def feeds(index: SiteIndex, public: Callable[[str], str], now: dt.datetime) -> dict[str, bytes]:
    groups = _feed_groups(index)
    files: dict[str, bytes] = {}
    if groups:
        files[GENERIC_ART] = artwork("Iklan Layanan Masyarakat Antikorupsi", "Drama radio untuk stasiun radio")
    for (facet, value), (label, psas) in sorted(groups.items()):
        art = GENERIC_ART
        if facet == "instansi":
            art = f"{SITE}art/{value}.png"
            files[art] = artwork(label, psas[0].agency.province)
        shown = [p for p in psas if visible(p, now)]

        def absolute(f: SiteFile) -> str:
            return public(f.key) if f.in_site_store else f.url

        files[feed_key(facet, value)] = feed_xml(
            f"ILM Antikorupsi — {label}", shown, public(feed_key(facet, value)),
            public(site_pages.facet_page(facet, value, "id")), public(art), absolute, index.updated_at,
        )  # fmt: skip
    return files


def _feed_groups(index: SiteIndex) -> dict[tuple[str, str], tuple[str, list[SitePsa]]]:
    # Every province and agency that ever had a radio PSA keeps its feed (empty once all expire):
    # a station's subscription must not break.
    groups: dict[tuple[str, str], tuple[str, list[SitePsa]]] = {}
    for psa in index.psas.values():
        if not choose(psa).radio:
            continue
        for facet, pairs in facet_values(psa).items():
            if facet in ("provinsi", "instansi"):
                for value, label in pairs:
                    groups.setdefault((facet, value), (label, []))[1].append(psa)
    return groups


def _put(store: Store, key: str, data: bytes, done: Written) -> None:
    found = store.read(key)
    if found is not None and found.data == data:
        done.unchanged += 1
        return
    store.write(key, data)
    done.written += 1


def _static(name: str) -> bytes:
    return resources.files("psa_pipeline.site").joinpath(f"static/{name}").read_bytes()
