"""Pictures reviewers look at instead of reading: contact sheets, waveforms, loudness over time.

Each is made once per rendition content (named by its SHA-256) and kept beside the build, so a
second report costs nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from psa_pipeline.core.atomic import atomic_text
from psa_pipeline.core.i18n import _
from psa_pipeline.media.runner import run_ffmpeg

SHEET_FRAMES = 6
# Frames a reviewer can read (captions, end card): 320 px wide, three to a row, so the sheet is
# 972 px wide, which a phone shrinks to its width and a desktop shows as it is.
THUMB = 320
SHEET_COLUMNS = 3
WAVE_SIZE = (720, 110)
CURVE_SIZE = (720, 160)
# Short-term loudness is drawn between these levels; quieter is clipped at the floor.
CURVE_FLOOR, CURVE_TOP = -50.0, -5.0


@dataclass(frozen=True)
class LoudnessCurve:
    times: list[float]
    short_term: list[float]  # LUFS, 3 s window, every 0.1 s


def contact_sheet(video: Path, duration: float, out: Path) -> Path:
    """Six evenly spaced frames in rows of three, as one JPEG."""
    if not out.exists():
        rate = SHEET_FRAMES / max(duration, 0.1)
        rows = -(-SHEET_FRAMES // SHEET_COLUMNS)
        graph = (
            f"fps={rate:.5f},scale=w={THUMB}:h={THUMB}:force_original_aspect_ratio=decrease,"
            f"tile={SHEET_COLUMNS}x{rows}:padding=6:color=white"
        )
        _make(out, ["-i", str(video), "-vf", graph, "-frames:v", "1", "-q:v", "4"])
    return out


def waveform(audio: Path, out: Path) -> Path:
    if not out.exists():
        width, height = WAVE_SIZE
        graph = f"aformat=channel_layouts=mono,showwavespic=s={width}x{height}:colors=0x0B3D91"
        _make(out, ["-i", str(audio), "-filter_complex", graph, "-frames:v", "1"])
    return out


def loudness_curve(audio: Path, cache: Path) -> LoudnessCurve:
    """Short-term loudness every 100 ms, from ebur128's frame log; kept in `cache` (JSON) once measured."""
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        return LoudnessCurve([float(t) for t in data["times"]], [float(v) for v in data["short_term"]])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    stderr = run_ffmpeg(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(audio), "-map", "0:a:0",
         "-filter:a", "ebur128=framelog=info", "-f", "null", "-"]
    )  # fmt: skip
    times, levels = [], []
    for match in re.finditer(r"t:\s*([\d.]+)\s+TARGET:.*?S:\s*(-?[\d.]+|-inf)", stderr):
        times.append(float(match.group(1)))
        level = float(match.group(2))
        levels.append(max(CURVE_FLOOR, level))
    cache.parent.mkdir(parents=True, exist_ok=True)
    with atomic_text(cache) as handle:
        json.dump({"times": times, "short_term": levels}, handle)
    return LoudnessCurve(times, levels)


def curve_svg(curve: LoudnessCurve, target: float, ceiling_label: str) -> str:
    """An inline SVG: short-term loudness as a line, the channel's target as a dashed line."""
    width, height = CURVE_SIZE
    if not curve.times:
        return f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{escape(_("no loudness data"))}"></svg>'
    end = max(curve.times[-1], 0.1)

    def y(level: float) -> float:
        span = CURVE_TOP - CURVE_FLOOR
        return round(height - (min(max(level, CURVE_FLOOR), CURVE_TOP) - CURVE_FLOOR) / span * height, 1)

    points = " ".join(f"{round(t / end * width, 1)},{y(v)}" for t, v in zip(curve.times, curve.short_term, strict=True))
    target_y = y(target)
    label = _("short-term loudness over time, target {target} LUFS").format(target=target)
    line = _("target {target:g} LUFS").format(target=target)
    return (
        f'<svg viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(label)}">'
        f'<rect width="{width}" height="{height}" fill="#f4f6fb"/>'
        f'<line x1="0" x2="{width}" y1="{target_y}" y2="{target_y}" stroke="#c0392b" stroke-dasharray="6 4"/>'
        f'<text x="4" y="{max(12.0, target_y - 4)}" font-size="11" fill="#c0392b">{escape(line)}</text>'
        f'<polyline points="{points}" fill="none" stroke="#0b3d91" stroke-width="1.5"/>'
        f'<text x="{width - 4}" y="12" font-size="11" text-anchor="end" fill="#555">{escape(ceiling_label)}</text>'
        "</svg>"
    )


def _make(out: Path, args: list[str]) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(f".{out.name}.part{out.suffix}")
    try:
        run_ffmpeg(["ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y", *args, str(temporary)])
        temporary.replace(out)
    finally:
        temporary.unlink(missing_ok=True)
