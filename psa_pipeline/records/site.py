"""`site/psas.json` in the web destination: every PSA the public site and podcast feeds list.

Written by `psa publish` (compare-and-swap, like the channel catalogues) only after all of a PSA's
files are verified and catalogued, so the site and feeds, which are rendered from this record alone,
never list what did not publish. It holds what the pages need beyond the catalogue: themes,
languages, schedule, and each file's kind and key so pages can link to it relatively.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from psa_pipeline.records.base import Record
from psa_pipeline.records.renditions import AgencySummary

Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
Short = Annotated[str, Field(max_length=200)]
Long = Annotated[str, Field(max_length=2048)]
FileKind = Literal["video", "audio", "subtitle"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SiteFile(_Part):
    channel: Short
    rendition: Short
    kind: FileKind
    file: Short
    key: Long  # below the destination root (before any S3 prefix): pages link to it relatively
    url: Long  # where its own destination serves it (used when it is not in the site's destination)
    in_site_store: bool
    size: int = Field(ge=0)
    sha256: Sha256
    content_type: Short
    lang: Short | None = None  # subtitles: ISO 639-3
    duration: float | None = None


class SitePsa(_Part):
    id: Short
    title: Long
    agency: AgencySummary
    kind: Short
    language: Short
    subtitle_languages: list[Short]
    themes: list[Short]
    year: int
    call_to_action: Long | None
    published_at: Short
    publish_at: Short | None = None
    expires: Short | None = None  # ISO 8601 with zone; the site and feeds hide the PSA from then on
    files: list[SiteFile] = Field(max_length=1000)


class SiteIndex(Record):
    KIND = "site-index"
    VERSION = 1

    updated_at: Short
    psas: dict[Annotated[str, Field(max_length=80)], SitePsa] = Field(max_length=100_000)
