"""Built PSAs without running a build: a manifest, its input file and a `renditions.json` record with tiny WAVs.

For publish tests that exercise storage: hundreds of publishes stay cheap (publishing still runs ffmpeg to
fingerprint them, so these tests are `media` tests). The record is
the real model (records/renditions.py) with the input fingerprints `psa build` writes, so
publish's stale-build check applies to these builds exactly as to real ones.
"""

from __future__ import annotations

import hashlib
import io
import textwrap
import wave
from dataclasses import dataclass
from pathlib import Path

from psa_pipeline.records.renditions import (
    AgencySummary,
    ApprovalSummary,
    Captions,
    LoudnessValues,
    PsaSummary,
    RenditionEntry,
    RenditionsRecord,
    StreamSummary,
    Target,
    TimelineSummary,
)

AGENCIES = {
    "DISKOMINFO-KALTIM": ("Diskominfo Kaltim", "Kalimantan Timur"),
    "BAPENDA-KALTENG": ("Bapenda Kalteng", "Kalimantan Tengah"),
}


@dataclass(frozen=True)
class FakePsa:
    manifest: Path
    build_root: Path
    psa_id: str
    files: dict[str, bytes]  # build-relative file name -> its bytes

    @property
    def project(self) -> Path:
        return self.manifest.parent

    def sha(self, file: str) -> str:
        return sha256(self.files[file])


def sound(seed: bytes, size: int) -> bytes:
    """A tiny WAV of noise made from `seed`: real media (publishing fingerprints it), distinct per PSA and version."""
    samples = (hashlib.sha256(seed).digest() * (size // 32 + 1))[: max(2, size - 44) // 2 * 2]
    out = io.BytesIO()
    with wave.open(out, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(samples)
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fake_psa(
    root: Path,
    psa_id: str,
    agency_code: str = "DISKOMINFO-KALTIM",
    channels: tuple[str, ...] = ("web", "whatsapp"),
    version: str = "1",
    size: int = 3000,
    province: str | None = None,
    approved: bool = True,
) -> FakePsa:
    """Write projects/<id>/psa.yaml and build/<id>/ (renditions.json and one file per channel) below `root`.

    `approved`: also record a reviewer's approval of exactly this build in root/approvals/ (`approve`),
    as publishing needs; a new version is a new build, approved again unless told not to.
    """
    province = province or AGENCIES[agency_code][1]
    project = root / "projects" / psa_id
    (project / "media").mkdir(parents=True, exist_ok=True)
    source = project / "media" / "spot.wav"
    source.write_bytes(f"source of {psa_id} v{version}".encode())
    body = f"""\
        kind: radio-drama
        themes: [pungli]
        sources: {{audio: media/spot.wav}}
        channels: [{", ".join(channels)}]
        slot: 30
        """
    manifest = write_manifest(project, psa_id, agency_code, province, body)
    build = root / "build" / psa_id
    build.mkdir(parents=True, exist_ok=True)
    files: dict[str, bytes] = {}
    entries = []
    for channel in channels:
        file = f"{psa_id}-{channel}-spot.mp3"
        seed = f"{psa_id}/{channel}/v{version}".encode()
        data = sound(seed, size)
        (build / file).write_bytes(data)
        files[file] = data
        entries.append(_entry(file, channel, data))
    summary = psa_summary(psa_id, agency_code, province, "radio-drama", [], seconds=3)
    record = RenditionsRecord(
        psa=summary,
        inputs={"psa.yaml": sha256(manifest.read_bytes()), "media/spot.wav": sha256(source.read_bytes())},
        program=None,
        renditions=entries,
    )
    record.write(build / "renditions.json")
    fake = FakePsa(manifest, root / "build", psa_id, files)
    if approved:
        approve(fake)
    return fake


def approve(fake: FakePsa) -> None:
    from helpers import approve_build

    approve_build(fake.build_root, fake.psa_id)


def write_manifest(project: Path, psa_id: str, agency_code: str, province: str, body: str) -> Path:
    """An approved psa.yaml for one of AGENCIES: the common fields, then `body` (kind, sources, channels...)."""
    name = AGENCIES[agency_code][0]
    manifest = project / "psa.yaml"
    head = f"""\
        schema: 1
        id: {psa_id}
        title: "Tolak Pungli {psa_id}"
        agency: {{name: {name}, code: {agency_code}, province: {province}}}
        language: ind
        approval: {{approved_by: Ahmad, role: Kepala Dinas, date: 2025-02-01}}
        """
    manifest.write_text(textwrap.dedent(head) + textwrap.dedent(body), encoding="utf-8")
    return manifest


def psa_summary(
    psa_id: str, agency_code: str, province: str, kind: str, subtitle_languages: list[str], seconds: float
) -> PsaSummary:
    """The record's summary of a manifest written by write_manifest."""
    return PsaSummary(
        id=psa_id,
        title=f"Tolak Pungli {psa_id}",
        kind=kind,
        language="ind",
        agency=AgencySummary(name=AGENCIES[agency_code][0], code=agency_code, province=province),
        subtitle_languages=subtitle_languages,
        year=2025,
        approval=ApprovalSummary(approved_by="Ahmad", role="Kepala Dinas", date="2025-02-01"),
        timeline=TimelineSummary(content_start=0, content=seconds, audio_end=seconds, total=seconds),
    )


def _entry(file: str, channel: str, data: bytes) -> RenditionEntry:
    loudness = LoudnessValues(integrated_lufs=-16.0, loudness_range_lu=3.0, true_peak_dbtp=-1.5)
    return RenditionEntry(
        file=file, size=len(data), sha256=sha256(data), name=f"{channel}/spot", channel=channel, rendition="spot",
        duration=3.0, streams=[StreamSummary(kind="audio", codec="mp3", sample_rate=44100, channels=2)],
        loudness_in=loudness, loudness_out=loudness, target=Target(integrated_lufs=-16.0, true_peak_dbtp=-1.0),
        gain_db=0.0, limiter_db=None, captions=Captions(), cache_key=sha256(data),
    )  # fmt: skip
