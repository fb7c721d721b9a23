"""What publishing adds for recognition: signed renditions and a fingerprint file per channel.

`prepare_publication` is the one hook publish calls, after reading `renditions.json` and
before uploading. It returns, for each rendition, the file to upload in its place (the
C2PA-signed copy of an MP4 or MP3 when a signing key is configured, else the built file) and,
for each channel, the fingerprint file to upload beside the renditions. Hashes and
fingerprints are taken of the files that are published, so of the signed ones.

Work is done once: the sound of a PSA is fingerprinted once (every rendition carries the same
programme), the picture once per distinct look (burned-in caption language and frame shape),
and signed copies and fingerprint files are kept in the build folder, keyed by what they were
made from, so publishing again reuses them (and finds everything "already published").
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy.typing as npt

from psa_pipeline.core.hashing import sha256_file
from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import PsaError
from psa_pipeline.recognise.credentials import SIGNED_FORMATS, SigningKey, sign_file
from psa_pipeline.recognise.extract import FRAME_RATE, Prints, fingerprint_file
from psa_pipeline.records.base import RecordError
from psa_pipeline.records.fingerprints import AudioPrint, ContentPrint, FingerprintRecord, VideoPrint
from psa_pipeline.records.renditions import BuiltFile, RenditionEntry, RenditionsRecord

FINGERPRINTS_SUFFIX = ".fingerprints.json"


@dataclass(frozen=True)
class Outgoing:
    """A file to publish: where it is, its size and SHA-256."""

    local: Path
    size: int
    sha256: str

    @classmethod
    def of(cls, path: Path) -> Outgoing:
        return cls(path, path.stat().st_size, sha256_file(path))


@dataclass
class Prepared:
    renditions: dict[str, Outgoing] = field(default_factory=dict)  # record file path -> what to upload
    fingerprints: dict[str, Outgoing] = field(default_factory=dict)  # channel -> its fingerprint file

    def outgoing(self, built: BuiltFile, build_dir: Path) -> Outgoing:
        local = build_dir / built.file
        return self.renditions.get(built.file, Outgoing(local, built.size, built.sha256))


def prepare_publication(record: RenditionsRecord, build_dir: Path, key: SigningKey | None) -> Prepared:
    """Sign (with `key`) and fingerprint a built PSA; raises PsaError if a built file changed since the build."""
    prepared = Prepared()
    for entry in record.renditions:
        local = build_dir / entry.file
        if key is not None and local.suffix.lower() in SIGNED_FORMATS:
            prepared.renditions[entry.file] = _signed(entry, local, build_dir, key, record)
    contents: dict[str, list[tuple[RenditionEntry, Outgoing]]] = {}
    for entry in record.renditions:
        out = prepared.outgoing(entry, build_dir)
        contents.setdefault(entry.channel, []).append((entry, out))
    prints = _Fingerprinter()
    for channel, entries in contents.items():
        target = build_dir / channel / f"{record.psa.id}-{channel}{FINGERPRINTS_SUFFIX}"
        sources = {out.local.name: out.sha256 for _, out in entries}
        if _cached(target, sources) is None:
            groups: dict[tuple[str | None, str], list[tuple[RenditionEntry, Outgoing]]] = {}
            for entry, out in entries:
                groups.setdefault(_look(entry), []).append((entry, out))
            contents_ = [prints.content(look, members) for look, members in groups.items()]
            FingerprintRecord(psa_id=record.psa.id, channel=channel, sources=sources, contents=contents_).write(target)
        prepared.fingerprints[channel] = Outgoing.of(target)
    return prepared


def _cached(target: Path, sources: dict[str, str]) -> FingerprintRecord | None:
    try:
        cached = FingerprintRecord.read_if_exists(target)
    except RecordError:
        return None  # written by another version: made again
    return cached if cached is not None and cached.sources == sources else None


def _look(entry: RenditionEntry) -> tuple[str | None, str]:
    """What makes renditions' pictures differ: burned-in captions and frame shape."""
    video = next((s for s in entry.streams if s.kind == "video" and s.width and s.height), None)
    shape = f"{video.width / video.height:.2f}" if video and video.width and video.height else "sound"
    return entry.captions.burned_in, shape


def _signed(entry: RenditionEntry, local: Path, build_dir: Path, key: SigningKey, record: RenditionsRecord) -> Outgoing:
    if not local.is_file() or sha256_file(local) != entry.sha256:
        raise PsaError(_("{file} is missing or changed since it was built; run psa build again").format(file=local))
    # Signing embeds a time and a fresh id, so the same file signed twice differs: keep the
    # first signature for as long as the file and the certificate are the same.
    stamp = hashlib.sha256(entry.sha256.encode() + key.chain).hexdigest()[:16]
    target = build_dir / "signed" / stamp / local.name
    if not target.is_file():
        partial = target.with_name(f".{target.name}.part")
        sign_file(local, partial, key, record.psa.id, record.psa.title, record.psa.agency.name)
        partial.replace(target)
    return Outgoing.of(target)


class _Fingerprinter:
    """Fingerprints of one PSA, computed once each: the sound once, the picture once per look."""

    def __init__(self) -> None:
        self.sound: Prints | None = None
        self.pictures: dict[tuple[str | None, str], Prints] = {}

    def content(self, look: tuple[str | None, str], members: list[tuple[RenditionEntry, Outgoing]]) -> ContentPrint:
        first = members[0][1].local
        has_picture = look[1] != "sound"
        if has_picture and look not in self.pictures:
            self.pictures[look] = fingerprint_file(first, sound=self.sound is None)
        if self.sound is None:
            self.sound = self.pictures[look] if has_picture else fingerprint_file(first, picture=False)
        picture = self.pictures.get(look) if has_picture else None
        return content_print(
            self.sound, picture, [out.local.name for _, out in members], max(e.duration for e, _ in members)
        )


def content_print(sound: Prints, picture: Prints | None, files: list[str], duration: float) -> ContentPrint:
    """The record form of fingerprints: the sound of `sound`, the picture of `picture`."""
    return ContentPrint(
        files=files,
        duration=duration,
        audio=_audio(sound),
        video=_video(picture) if picture is not None else None,
    )


def _b64(array: npt.NDArray[Any]) -> str:
    return base64.b64encode(array.tobytes()).decode("ascii")


def _audio(prints: Prints) -> AudioPrint | None:
    return AudioPrint(values=_b64(prints.audio.astype("<u4"))) if prints.audio is not None else None


def _video(prints: Prints) -> VideoPrint | None:
    if prints.full is None or prints.centre is None:
        return None
    captions = None
    if prints.captions is not None:
        cells = prints.captions.reshape(len(prints.captions), -1)
        captions = _b64((cells[:, 0::2] << 4) | cells[:, 1::2])
    full, centre = _b64(prints.full.astype("<u8")), _b64(prints.centre.astype("<u8"))
    return VideoPrint(rate=FRAME_RATE, full=full, centre=centre, captions=captions)
