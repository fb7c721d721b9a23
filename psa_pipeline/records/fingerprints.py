"""`fingerprints.json`: what a published PSA sounds and looks like, so `psa verify` knows re-encoded copies.

One file per PSA per channel, uploaded beside the channel's renditions and listed (with its
SHA-256) in `publication.json` and the catalogue like every published file. Fingerprints are
stored compactly: little-endian integer arrays in base64.
"""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field, field_validator

from psa_pipeline.records.base import Record

# Chromaprint's default algorithm (TEST2): 4096-sample frames at 11025 Hz with 2/3 overlap.
CHROMAPRINT_STEP = 4096 / 3 / 11025


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _base64(value: str) -> str:
    try:
        base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("not base64") from None
    return value


class AudioPrint(_Part):
    """Chromaprint's raw sub-fingerprints: one 32-bit value every `step` seconds."""

    algorithm: str = "chromaprint-test2"
    step: float = CHROMAPRINT_STEP
    values: str = Field(description="base64 of little-endian uint32 values")

    _check = field_validator("values")(_base64)


class VideoPrint(_Part):
    """64-bit DCT perceptual hashes of frames sampled `rate` times a second.

    `full` hashes the whole frame, `centre` the centred 9:16 box (what survives a crop to a
    vertical format). A hash of 0 marks a flat frame (black, one colour) that says nothing.
    """

    algorithm: str = "dct-phash-64"
    rate: float
    full: str = Field(description="base64 of little-endian uint64 hashes")
    centre: str = Field(description="base64 of little-endian uint64 hashes")
    captions: str | None = Field(
        None, description="base64: per frame, the bottom quarter as 8x32 cells of 4-bit grey, two cells a byte"
    )

    _check = field_validator("full", "centre")(_base64)


class ContentPrint(_Part):
    """The fingerprints of one content: renditions that share sound and picture share one of these."""

    files: list[str] = Field(description="Names of the channel's renditions with this content.")
    duration: float
    audio: AudioPrint | None
    video: VideoPrint | None


class FingerprintRecord(Record):
    KIND = "fingerprints"
    VERSION = 1

    psa_id: str
    channel: str
    sources: dict[str, str] = Field(description="Published file name -> SHA-256 of what was fingerprinted.")
    contents: list[ContentPrint]
