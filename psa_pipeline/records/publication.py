"""What `psa publish` writes into a destination: `publication.json`, the catalogue `index.json`, the replace intent.

All three are read back by later runs (and the catalogue by `psa verify` on any machine), so they
are versioned records with bounded fields: a catalogue from the internet is input like any other.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from psa_pipeline.records.base import Record
from psa_pipeline.records.renditions import ApprovalSummary, LoudnessValues, PsaSummary

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Short = Annotated[str, Field(max_length=200)]
Long = Annotated[str, Field(max_length=2048)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoredFile(_Part):
    """One published file: where it is and what its bytes hash to."""

    file: Short
    key: Long  # the full object key (with the destination's prefix) or the path below the folder
    url: Long
    size: int = Field(ge=0)
    sha256: Sha256


class PublishedFile(StoredFile):
    loudness: LoudnessValues | None = None
    replaced: Short | None = None  # "replaced sha256 … (n bytes)" when --replace overwrote another version


class PublicationRecord(Record):
    """`<psa folder>/<channel>/publication.json`: one PSA on one channel, written after all its files are verified."""

    KIND = "publication"
    VERSION = 1

    psa: PsaSummary
    channel: Short
    published_at: Short
    approval: ApprovalSummary | None
    files: list[PublishedFile]

    def same_content(self, other: PublicationRecord) -> bool:
        """Equal but for when it was published and what it replaced: a re-run keeps the stored one."""

        def files(r: PublicationRecord) -> list[StoredFile]:
            return [StoredFile(**f.model_dump(exclude={"loudness", "replaced"})) for f in r.files]

        return (self.psa, self.channel, self.approval, files(self)) == (
            other.psa,
            other.channel,
            other.approval,
            files(other),
        )


class CatalogueEntry(_Part):
    agency_code: Short  # the owner: another agency publishing this id is refused
    title: Long
    agency: Long
    province: Long
    published_at: Short
    publication: Long
    files: list[StoredFile] = Field(max_length=1000)


class CatalogueRecord(Record):
    """`<channel>/index.json`: every PSA published on a channel, by id; what `psa verify` looks files up in."""

    KIND = "catalogue"
    VERSION = 1

    channel: Short
    updated_at: Short
    psas: dict[Annotated[str, Field(max_length=80)], CatalogueEntry] = Field(max_length=100_000)


class PlannedFile(_Part):
    key: Long
    old_sha256: Sha256 | None
    new_sha256: Sha256


class ReplaceIntent(Record):
    """`<psa folder>/<channel>/.replace-intent.json`: written before the first byte of a `--replace`.

    While it exists, publication.json and the catalogue may describe the old files; the next run
    of the same build finishes the replace (even without `--replace`), then deletes the intent.
    """

    KIND = "replace-intent"
    VERSION = 1

    psa_id: Short
    agency_code: Short
    channel: Short
    started_at: Short
    files: list[PlannedFile]
