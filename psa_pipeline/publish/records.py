"""publication.json and the catalogue entry, made from what this run verified (never from what storage holds)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from psa_pipeline.manifest.model import Manifest
from psa_pipeline.publish.destinations import Backend
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.publication import CatalogueEntry, PublicationRecord, PublishedFile, StoredFile
from psa_pipeline.records.renditions import RenditionsRecord

if TYPE_CHECKING:
    from psa_pipeline.publish.publish import FileOutcome


def publication_record(
    manifest: Manifest, record: RenditionsRecord, channel: str, files: list[FileOutcome], store: Backend, now: str
) -> PublicationRecord:
    loudness = {Path(e.file).name: e.loudness_out for e in record.renditions}
    return PublicationRecord(
        psa=record.psa,
        channel=channel,
        published_at=now,
        approval=record.psa.approval,  # the manifest's: check_fresh made sure the build is of this psa.yaml
        files=[
            PublishedFile(
                file=f.local.name,
                key=store.stored_key(f.key),
                url=f.url,
                size=f.size,
                sha256=f.sha256,
                loudness=loudness.get(f.local.name),
                replaced=f.detail if f.detail.startswith("replaced") else None,
            )
            for f in files
        ],
    )


def settle_publication(store: Backend, key: str, ours: PublicationRecord) -> tuple[PublicationRecord, bool]:
    """Keep the stored publication.json if it says exactly what we verified (a re-run changes nothing); else write ours.

    A planted or edited one, or one left by an interrupted --replace, never survives: it is compared
    with this run's own record, not believed.
    """
    found = store.read(key)
    if found is not None:
        try:
            stored = PublicationRecord.from_text(found.data, store.url(key))
        except RecordError:
            stored = None
        if stored is not None and stored.same_content(ours) and not any(f.replaced for f in ours.files):
            return stored, False
    store.write(key, ours.to_json().encode())
    return ours, True


def catalogue_entry(manifest: Manifest, publication: PublicationRecord, url: str) -> CatalogueEntry:
    return CatalogueEntry(
        agency_code=manifest.agency.code,
        title=manifest.title,
        agency=manifest.agency.name,
        province=manifest.agency.province,
        published_at=publication.published_at,
        publication=url,
        files=[StoredFile(**f.model_dump(include={"file", "key", "url", "size", "sha256"})) for f in publication.files],
    )
