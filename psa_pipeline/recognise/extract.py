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

from psa_pipeline.core.i18n import _
from psa_pipeline.core.problems import MediaError
from psa_pipeline.media.probe import probe

FRAME_RATE = 2.0
SIDE = 32
# A copy can be hours long (a screen recording left running); only the start is compared, so
# verifying any file takes bounded time. A PSA is minutes at most.
MAX_SECONDS = 600.0
TIMEOUT = 300.0
# Frames are decoded to a fixed grid of grey (squeezed to it whatever their shape) and the views
# cut from that: fine enough that a 9:16 box of a 16:9 frame still has 81 columns to average.
# Black is 16 in the video range: a bar never rises above BAR_LEVEL.
CAPTION_CELLS = (8, 32)
GRID_WIDTH = 256
GRID_HEIGHT = 144
BAR_LEVEL = 28.0
# Below this pixel standard deviation a frame is flat (black, one colour): its hash is noise.
FLAT_STD = 3.0

# Two frames a second need not every frame decoded: frames no other frame refers to are skipped
# (a third faster on H.264). Not the loop filter or reference B-frames: skipping those makes
# the picture drift until the next keyframe, differently in a copy than in the original.
FAST_DECODE = ["-skip_frame", "noref"]

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]
F64 = npt.NDArray[np.float64]
U8 = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Prints:
    duration: float
    audio: U32 | None  # chromaprint values, CHROMAPRINT_STEP apart
    full: U64 | None  # frame hashes, 1 / FRAME_RATE apart; 0 = flat frame
    centre: U64 | None
    # (frames, 8, 32) thumbnail of the bottom quarter of the whole picture, 4-bit grey: burned-in
    # captions live there, and a changed caption line is too small a change for the frame hashes.
    captions: U8 | None = None


def fingerprint_file(path: Path, sound: bool = True, picture: bool = True) -> Prints:
    """Fingerprints of `path`'s first audio stream and first moving-picture stream (MediaError if neither)."""
    info = probe(path)
    audio = info.audio if sound else None
    video = info.video if picture else None
    if audio is None and video is None:
        raise MediaError(_("{path}: has neither sound nor moving picture to compare").format(path=path))
    with tempfile.TemporaryDirectory(prefix="psa-fp-") as tmp:
        chroma = Path(tmp) / "audio.chromaprint"
        command = ["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", *FAST_DECODE]
        command += ["-t", str(MAX_SECONDS), "-i", str(path)]
        if audio is not None:
            command += ["-map", f"0:{audio.index}", "-ac", "1", "-ar", "11025"]
            command += ["-f", "chromaprint", "-fp_format", "raw", "-algorithm", "1", "-y", str(chroma)]
        if video is not None:
            grid = f"fps={FRAME_RATE},format=gray,scale={GRID_WIDTH}:{GRID_HEIGHT}:flags=area"
            command += ["-map", f"0:{video.index}", "-vf", grid, "-f", "rawvideo", "-pix_fmt", "gray", "pipe:1"]
        try:
            result = subprocess.run(command, capture_output=True, timeout=TIMEOUT, check=False)
        except FileNotFoundError:
            raise MediaError(_("ffmpeg is not installed (run `make demo` or install the ffmpeg package)")) from None
        except subprocess.TimeoutExpired:
            raise MediaError(
                _("{path}: decoding took more than {seconds:.0f} s; the file looks damaged").format(
                    path=path, seconds=TIMEOUT
                )
            ) from None
        if result.returncode != 0:
            detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
            raise MediaError(
                _("{path}: cannot be decoded ({detail})").format(
                    path=path, detail=detail[-1][:200] if detail else _("ffmpeg failed")
                )
            )
        values = np.frombuffer(chroma.read_bytes(), dtype="<u4").astype(np.uint32) if audio is not None else None
    full = centre = None
    if video is not None:
        raw = np.frombuffer(result.stdout, dtype=np.uint8)
        count = raw.size // (GRID_WIDTH * GRID_HEIGHT)
        frames = raw[: count * GRID_WIDTH * GRID_HEIGHT].reshape(count, GRID_HEIGHT, GRID_WIDTH)
        aspect = video.width / video.height if video.width and video.height else 16 / 9
        area = _picture_area(frames)
        # In chunks: a 10-minute file as floating point at once would take a lot of memory.
        chunks = [_hash_views(views(frames[i : i + 256], aspect, area)) for i in range(0, max(count, 1), 256)]
        full, centre = (np.concatenate([c[k] for c in chunks]) for k in range(2))
        # Cut out of a letterboxed frame, the caption zone is too coarse to compare cell by cell.
        captions = np.concatenate([c[2] for c in chunks]) if area == (0, GRID_HEIGHT, 0, GRID_WIDTH) else None
        return Prints(min(info.duration, MAX_SECONDS), values, full, centre, captions)
    return Prints(min(info.duration, MAX_SECONDS), values, full, centre)


def _hash_views(pair: tuple[F64, F64]) -> tuple[U64, U64, U8]:
    whole, box = pair
    bottom = _shrink(whole[:, whole.shape[1] * 3 // 4 :, :], *CAPTION_CELLS)
    return phash(_shrink(whole)), phash(_shrink(box)), np.clip(np.round(bottom / 17), 0, 15).astype(np.uint8)


def views(frames: npt.NDArray[np.uint8], aspect: float, area: tuple[int, int, int, int]) -> tuple[F64, F64]:
    """The two 32x32 views of (n, GRID_HEIGHT, GRID_WIDTH) grey frames of an `aspect` (width / height) picture.

    Black bars present in every frame (a copy letterboxed or pillarboxed into another shape) are
    cut off first, so the whole-frame view is the picture itself; the centre view is the centred
    9:16 box of that picture, what a crop to a vertical format keeps.
    """
    top, bottom, left, right = area
    picture = frames[:, top:bottom, left:right].astype(np.float64)
    rows, cols = bottom - top, right - left
    # A grid cell is aspect * GRID_HEIGHT / GRID_WIDTH times as wide as it is high.
    cell = aspect * GRID_HEIGHT / GRID_WIDTH
    if cols * cell / rows > 9 / 16:
        width = max(1, round(rows * (9 / 16) / cell))
        first = (cols - width) // 2
        box = picture[:, :, first : first + width]
    else:
        height = max(1, round(cols * cell * 16 / 9))
        first = (rows - height) // 2
        box = picture[:, first : first + height, :]
    return picture, box


def _picture_area(frames: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """Rows and columns [top, bottom) x [left, right) left after cutting black bars off every frame."""
    whole = 0, GRID_HEIGHT, 0, GRID_WIDTH
    if len(frames) == 0:
        return whole
    brightest = frames.max(axis=0)  # a bar is dark in every frame
    dark_rows = brightest.max(axis=1) <= BAR_LEVEL
    dark_cols = brightest.max(axis=0) <= BAR_LEVEL
    top, bottom = _inner(dark_rows)
    left, right = _inner(dark_cols)
    # An all-dark picture, or "bars" leaving a sliver, is content, not bars.
    if bottom - top < GRID_HEIGHT // 4 or right - left < GRID_WIDTH // 4:
        return whole
    return top, bottom, left, right


def _inner(dark: npt.NDArray[np.bool_]) -> tuple[int, int]:
    lit = np.flatnonzero(~dark)
    if not lit.size:
        return 0, len(dark)
    first, last = int(lit[0]), int(lit[-1]) + 1
    # The grid line where a bar meets the picture is part bar: leave it out with the bar.
    return first + (first > 0), last - (last < len(dark))


def _shrink(frames: F64, rows: int = SIDE, cols: int = SIDE) -> F64:
    """Area-average (n, h, w) frames down (or nearest-neighbour up) to (n, rows, cols)."""
    for axis, cells in ((1, rows), (2, cols)):
        size = frames.shape[axis]
        edges = np.floor(np.linspace(0, size, cells + 1)).astype(int)
        starts = edges[:-1]
        ends = np.minimum(np.maximum(edges[1:], starts + 1), size)
        starts = np.minimum(starts, ends - 1)
        sums = np.cumsum(frames, axis=axis)
        sums = np.concatenate([np.zeros_like(np.take(sums, [0], axis=axis)), sums], axis=axis)
        frames = (np.take(sums, ends, axis=axis) - np.take(sums, starts, axis=axis)) / np.expand_dims(
            ends - starts, tuple(i for i in range(3) if i != axis)
        )
    return frames


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
