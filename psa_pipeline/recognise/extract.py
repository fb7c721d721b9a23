"""Fingerprint a media file: Chromaprint values over time for its sound, perceptual hashes for its picture.

One ffmpeg run decodes the file once and writes both: the audio to ffmpeg's `chromaprint`
muxer (raw 32-bit sub-fingerprints, about 8 a second) and the picture, sampled at a fixed
rate, as tiny grey frames on a pipe. Two 32x32 views of each frame are hashed: the whole frame
and its centred 9:16 box, which is what a crop to a vertical format keeps.

Why this pair: Chromaprint is built for exactly this (robust to lossy codecs, level changes and
resampling; it is what AcoustID matches with), and a DCT hash of a downscaled grey frame is
insensitive to scaling, compression and small colour changes while a replaced caption or
end card changes it. The hashes are computed here with numpy, so no extra native library.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from psa_pipeline.core.problems import MediaError
from psa_pipeline.media.probe import probe

FRAME_RATE = 2.0
SIDE = 32
# A copy can be hours long (a screen recording left running); only the start is compared, so
# verifying any file takes bounded time. A PSA is minutes at most.
MAX_SECONDS = 600.0
TIMEOUT = 300.0
# Below this pixel standard deviation a frame is flat (black, one colour): its hash is noise.
FLAT_STD = 3.0

# Two frames a second need not every frame decoded: frames no other frame refers to are skipped
# (a third faster on H.264). Not the loop filter or reference B-frames: skipping those makes
# the picture drift until the next keyframe, differently in a copy than in the original.
FAST_DECODE = ["-skip_frame", "noref"]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]


@dataclass(frozen=True)
class Prints:
    duration: float
    audio: U32 | None  # chromaprint values, CHROMAPRINT_STEP apart
    full: U64 | None  # frame hashes, 1 / FRAME_RATE apart; 0 = flat frame
    centre: U64 | None


def fingerprint_file(path: Path, sound: bool = True, picture: bool = True) -> Prints:
    """Fingerprints of `path`'s first audio stream and first moving-picture stream (MediaError if neither)."""
    info = probe(path)
    audio = info.audio if sound else None
    video = info.video if picture else None
    if audio is None and video is None:
        raise MediaError(f"{path}: has neither sound nor moving picture to compare")
    with tempfile.TemporaryDirectory(prefix="psa-fp-") as tmp:
        chroma = Path(tmp) / "audio.chromaprint"
        command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", *FAST_DECODE]
        command += ["-t", str(MAX_SECONDS), "-i", str(path)]
        if audio is not None:
            command += ["-map", f"0:{audio.index}", "-ac", "1", "-ar", "11025"]
            command += ["-f", "chromaprint", "-fp_format", "raw", "-algorithm", "1", "-y", str(chroma)]
        if video is not None:
            views = (
                f"[0:{video.index}]fps={FRAME_RATE},format=gray,split[a][b];"
                f"[a]scale={SIDE}:{SIDE}:flags=area[fa];"
                f"[b]crop='min(iw,ih*9/16)':'min(ih,iw*16/9)',scale={SIDE}:{SIDE}:flags=area[fb];"
                "[fa][fb]hstack[out]"
            )
            command += ["-filter_complex", views, "-map", "[out]", "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]
        try:
            result = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except FileNotFoundError:
            raise MediaError("ffmpeg is not installed (run `make demo` or install the ffmpeg package)") from None
        except subprocess.TimeoutExpired:
            raise MediaError(f"{path}: decoding took more than {TIMEOUT:.0f} s; the file looks damaged") from None
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise MediaError(f"{path}: cannot be decoded ({detail[-1][:200] if detail else 'ffmpeg failed'})")
        values = np.frombuffer(chroma.read_bytes(), dtype="<u4").astype(np.uint32) if audio is not None else None
    full = centre = None
    if video is not None:
        frames = np.frombuffer(result.stdout, dtype=np.uint8)
        count = frames.size // (SIDE * 2 * SIDE)
        grid = frames[: count * SIDE * 2 * SIDE].reshape(count, SIDE, 2 * SIDE).astype(np.float64)
        full = phash(grid[:, :, :SIDE])
        centre = phash(grid[:, :, SIDE:])
    return Prints(min(info.duration, MAX_SECONDS), values, full, centre)


def _dct_matrix(n: int) -> npt.NDArray[np.float64]:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    matrix = np.cos(np.pi * (2 * i + 1) * k / (2 * n)) * np.sqrt(2 / n)
    matrix[0] /= np.sqrt(2)
    result: npt.NDArray[np.float64] = matrix
    return result


_DCT = _dct_matrix(SIDE)
_BITS = (np.uint64(1) << np.arange(64, dtype=np.uint64)).astype(np.uint64)


def phash(frames: npt.NDArray[np.float64]) -> U64:
    """64-bit DCT hashes of (n, 32, 32) grey frames: the 8x8 lowest frequencies above the DC, against their median."""
    if frames.size == 0:
        return np.zeros(0, dtype=np.uint64)
    coefficients = _DCT @ frames @ _DCT.T
    low = coefficients[:, 1:9, 1:9].reshape(len(frames), 64)
    bits = low > np.median(low, axis=1, keepdims=True)
    hashes: U64 = (bits.astype(np.uint64) * _BITS).sum(axis=1, dtype=np.uint64)
    flat = frames.reshape(len(frames), -1).std(axis=1) < FLAT_STD
    hashes[flat | (hashes == 0)] = 0
    return hashes
