"""`build/<id>/renditions.json`: what `psa build` made of one PSA, read by publish, batch and the report."""

from __future__ import annotations

from pathlib import PurePosixPath

from pydantic import BaseModel, ConfigDict, Field, field_validator

from psa_pipeline.records.base import Record


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LoudnessValues(_Part):
    integrated_lufs: float | None  # None: silence (nothing above the -70 LUFS gate)
    loudness_range_lu: float
    true_peak_dbtp: float | None


class Target(_Part):
    integrated_lufs: float
    true_peak_dbtp: float
    tolerance_lu: float | None = None  # None in records written before the tolerance was recorded


class Captions(_Part):
    burned_in: str | None = None
    soft: list[str] = Field(default_factory=list)


class StreamSummary(_Part):
    kind: str
    codec: str
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    sample_rate: int | None = None
    channels: int | None = None
    language: str | None = None
    title: str | None = None


def _inside_build(value: str) -> str:
    # Publishing uploads these paths: one that leaves the PSA's build folder would publish
    # whatever file it names, so a hand-edited record cannot point outside.
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError(f"file path must stay inside the PSA's build folder: {value!r}")
    return value


class BuiltFile(_Part):
    file: str
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    _check_file = field_validator("file")(_inside_build)


class Sidecar(BuiltFile):
    lang: str
    format: str


class RenditionEntry(BuiltFile):
    name: str  # "<channel>/<rendition>"
    channel: str
    rendition: str
    duration: float
    streams: list[StreamSummary]
    loudness_in: LoudnessValues
    loudness_out: LoudnessValues
    target: Target
    gain_db: float
    limiter_db: float | None
    # Audio-only re-encodes after the first encode, when the codec moved loudness or true peak.
    audio_corrections: int = Field(0, ge=0)
    limiter_passes: int = Field(0, ge=0, description="Lossless limiter runs (no encoder) to land the loudness.")
    video_encodes: int = Field(0, ge=0, description="Times the picture was encoded: 1 for video, 0 for audio.")
    captions: Captions
    sidecars: list[Sidecar] = Field(default_factory=list)
    cache_key: str

    def files(self) -> list[BuiltFile]:
        return [self, *self.sidecars]


class AgencySummary(_Part):
    name: str
    code: str
    province: str


class ApprovalSummary(_Part):
    approved_by: str
    role: str
    date: str


class TimelineSummary(_Part):
    content_start: float
    content: float
    audio_end: float
    total: float


class PsaSummary(_Part):
    id: str
    title: str
    agency: AgencySummary
    kind: str
    language: str
    subtitle_languages: list[str]
    year: int
    approval: ApprovalSummary | None
    timeline: TimelineSummary


class Program(_Part):
    """The mixed programme's loudness, keyed so a rebuild that changes no audio skips measuring it."""

    key: str
    loudness: dict[str, LoudnessValues]


class RenditionsRecord(Record):
    KIND = "renditions"
    VERSION = 1

    psa: PsaSummary
    inputs: dict[str, str] = Field(
        default_factory=dict, description="Every input file the build read (manifest, media, subtitles) -> SHA-256."
    )
    program: Program | None
    renditions: list[RenditionEntry]

    def total_size(self) -> int:
        return sum(f.size for entry in self.renditions for f in entry.files())
