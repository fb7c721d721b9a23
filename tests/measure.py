"""Measurements of finished files with ffprobe and ffmpeg alone (never through psa_pipeline)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=120)


def streams(path: Path) -> dict[str, Any]:
    """ffprobe's view of `path`: {"format": ..., "streams": [...]}."""
    out = _run("ffprobe", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", str(path))
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def video_stream(path: Path) -> dict[str, Any]:
    return next(s for s in streams(path)["streams"] if s["codec_type"] == "video")


def decoded_seconds(path: Path, kind: str = "a") -> float:
    """Length of the first `kind` stream, counted by decoding it (not the header's claim)."""
    out = _run("ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", f"0:{kind}:0", "-f", "null", "-")
    times = re.findall(r"time=(\d+):(\d+):(\d+\.\d+)", out.stderr)
    hours, minutes, seconds = times[-1]
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def luma_per_frame(path: Path) -> list[tuple[float, float]]:
    """(time, mean luma 0-255) of every frame."""
    out = _run("ffprobe", "-v", "error", "-f", "lavfi", f"movie={_escape(path)},signalstats",
               "-show_entries", "frame=pts_time:frame_tags=lavfi.signalstats.YAVG", "-of", "csv=p=0")  # fmt: skip
    frames = []
    for line in out.stdout.splitlines():
        parts = line.split(",")
        if len(parts) == 2 and parts[0] and parts[1]:
            frames.append((float(parts[0]), float(parts[1])))
    return frames


def first_flash(path: Path, threshold: float = 180.0) -> float:
    """Time of the first frame whose mean luma passes `threshold` (the white flash)."""
    return next(t for t, y in luma_per_frame(path) if y > threshold)


def first_beep(path: Path, threshold_db: float = -35.0) -> float:
    """Start of the first 5 ms window of the first audio stream louder than `threshold_db` RMS."""
    out = _run("ffprobe", "-v", "error", "-f", "lavfi",
               f"amovie={_escape(path)},asetnsamples=n=240:p=0,astats=metadata=1:reset=1",
               "-show_entries", "frame=pts_time:frame_tags=lavfi.astats.Overall.RMS_level", "-of", "csv=p=0")  # fmt: skip
    for line in out.stdout.splitlines():
        parts = line.split(",")
        if len(parts) == 2 and parts[1] not in ("", "-inf") and float(parts[1]) > threshold_db:
            return float(parts[0])
    raise AssertionError(f"no beep in {path}")


def gray_frame(path: Path, at: float) -> tuple[int, int, bytes]:
    """(width, height, 8-bit luma bytes) of the frame shown at `at` seconds."""
    info = video_stream(path)
    out = subprocess.run(
        ["ffmpeg", "-nostdin", "-v", "error", "-ss", str(at), "-i", str(path), "-frames:v", "1",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    return int(info["width"]), int(info["height"]), out.stdout


def bright_box(path: Path, at: float, threshold: int = 200) -> tuple[int, int, int, int]:
    """(left, top, right, bottom) of the pixels brighter than `threshold` in the frame at `at`."""
    width, _, data = gray_frame(path, at)
    xs = [i % width for i, v in enumerate(data) if v > threshold]
    ys = [i // width for i, v in enumerate(data) if v > threshold]
    assert xs, f"nothing bright in {path} at {at}"
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


def region_mean(path: Path, at: float, box: tuple[float, float, float, float]) -> float:
    """Mean luma of a region given as fractions (left, top, right, bottom) of the frame."""
    width, height, data = gray_frame(path, at)
    left, top, right, bottom = (round(f * d) for f, d in zip(box, (width, height, width, height), strict=True))
    values = [data[y * width + x] for y in range(top, bottom) for x in range(left, right)]
    return sum(values) / len(values)


def idet(path: Path) -> tuple[int, int]:
    """(interlaced, progressive) frame counts from ffmpeg's idet multi-frame detection."""
    out = _run("ffmpeg", "-nostdin", "-hide_banner", "-i", str(path), "-map", "0:v:0", "-vf", "idet", "-f", "null", "-")
    match = re.search(r"Multi frame detection:\s*TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)", out.stderr)
    assert match, out.stderr[-500:]
    return int(match.group(1)) + int(match.group(2)), int(match.group(3))


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS) of the first audio stream; -inf for silence."""
    out = _run("ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-i", str(path), "-map", "0:a:0",
               "-af", "ebur128", "-f", "null", "-")  # fmt: skip
    summary = out.stderr.rsplit("Summary:", 1)[1]
    value = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    assert value
    return float(value.group(1))


def _escape(path: Path) -> str:
    # The path goes inside a lavfi graph; test folders never hold the characters that would split it.
    text = str(path)
    assert not re.search(r"[\\:',;\[\]=]", text), text
    return text
