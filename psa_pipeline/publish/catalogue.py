"""The channel catalogue `<channel>/index.json`: read, check ownership, and update without losing anyone's entry.

Updates are compare-and-swap: read the catalogue and its version (ETag, or content hash in a
folder), merge this PSA's entry, write only if the version is unchanged; on a conflict, read
again and merge again. No lock is held across the network, so a publisher killed at any point
leaves either the old or the new catalogue, and every other publisher's entry survives.
"""

from __future__ import annotations

import random
import time

from psa_pipeline.core.i18n import _
from psa_pipeline.publish.destinations import Backend, PublishError, Versioned
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.publication import CatalogueEntry, CatalogueRecord

CATALOG_NAME = "index.json"
MAX_TRIES = 50


class OwnershipError(PublishError):
    """The id is catalogued under another agency."""


def catalogue_key(channel: str) -> str:
    return f"{channel}/{CATALOG_NAME}"


def read_catalogue(store: Backend, channel: str) -> tuple[CatalogueRecord | None, Versioned | None]:
    key = catalogue_key(channel)
    found = store.read(key)
    if found is None:
        return None, None
    try:
        return CatalogueRecord.from_text(found.data, store.url(key)), found
    except RecordError as exc:
        raise PublishError(
            _("{error}; the catalogue must be repaired by hand (or moved aside) before anything more is published "
              "on channel {channel}").format(error=exc, channel=channel)
        ) from None  # fmt: skip


def check_owner(catalogue: CatalogueRecord | None, psa_id: str, agency_code: str, where: str) -> None:
    entry = catalogue.psas.get(psa_id) if catalogue else None
    if entry is not None and entry.agency_code != agency_code:
        raise OwnershipError(
            _("id '{id}' is already published by {agency} ({code}) in {where}; "
              "an agency cannot take over another agency's PSA: choose another id"
              ).format(id=psa_id, agency=entry.agency, code=entry.agency_code, where=where)
        )  # fmt: skip


def put_entry(store: Backend, channel: str, psa_id: str, entry: CatalogueEntry, now: str) -> bool:
    """Make the catalogue list `entry` under `psa_id`; False when it already did. Retries on concurrent updates."""
    key = catalogue_key(channel)
    for attempt in range(MAX_TRIES):
        catalogue, found = read_catalogue(store, channel)
        check_owner(catalogue, psa_id, entry.agency_code, store.url(key))
        if catalogue is not None and catalogue.psas.get(psa_id) == entry:
            return False
        psas = dict(catalogue.psas) if catalogue else {}
        psas[psa_id] = entry
        updated = CatalogueRecord(channel=channel, updated_at=now, psas=dict(sorted(psas.items())))
        if store.write_if(key, updated.to_json().encode(), found.version if found else None):
            return True
        # Someone else's update landed between our read and write: back off a little, then merge again.
        time.sleep(random.uniform(0, min(0.5, 0.01 * 2**attempt)))
    raise PublishError(
        _("{url}: still changing under us after {tries} tries; run again").format(url=store.url(key), tries=MAX_TRIES)
    )
