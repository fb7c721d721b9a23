"""Where the site is written: any destination backend (folder or S3), seen through the few calls the site needs.

A Protocol rather than an import of `publish.destinations`: the site sits below publish in the
layers, and publish hands it its backend.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from typing import Protocol

from psa_pipeline.core.problems import PsaError
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.site import SiteIndex, SitePsa

SITE = "site/"
INDEX_KEY = SITE + "psas.json"
MAX_TRIES = 50


class Found(Protocol):
    @property
    def data(self) -> bytes: ...
    @property
    def version(self) -> str: ...


class Store(Protocol):
    def url(self, key: str) -> str: ...
    def read(self, key: str) -> Found | None: ...
    def write_if(self, key: str, data: bytes, version: str | None) -> bool: ...
    def write(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...


class SiteError(PsaError):
    """The site index cannot be read or updated."""


def read_index(store: Store) -> tuple[SiteIndex | None, Found | None]:
    found = store.read(INDEX_KEY)
    if found is None:
        return None, None
    try:
        return SiteIndex.from_text(found.data, store.url(INDEX_KEY)), found
    except RecordError as exc:
        raise SiteError(f"{exc}; repair or move it aside, then publish again to rebuild the site") from None


def put_psa(store: Store, entry: SitePsa, now: dt.datetime) -> bool:
    """Make the site index list `entry`; False when it already did. Compare-and-swap, retried on conflicts."""
    for attempt in range(MAX_TRIES):
        index, found = read_index(store)
        existing = index.psas.get(entry.id) if index else None
        # A re-run of the same publication changes nothing: the first publication time stays.
        if existing is not None and existing.model_copy(update={"published_at": entry.published_at}) == entry:
            return False
        psas = dict(index.psas) if index else {}
        psas[entry.id] = entry
        updated = SiteIndex(updated_at=stamp(now), psas=dict(sorted(psas.items())))
        if store.write_if(INDEX_KEY, updated.to_json().encode(), found.version if found else None):
            return True
        time.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))
    raise SiteError(f"{store.url(INDEX_KEY)}: still changing under us after {MAX_TRIES} tries; run again")


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def visible(psa: SitePsa, now: dt.datetime) -> bool:
    """Listed on the site and in feeds: released and not yet expired."""
    if psa.publish_at and dt.datetime.fromisoformat(psa.publish_at) > now:
        return False
    return not (psa.expires and dt.datetime.fromisoformat(psa.expires) <= now)
