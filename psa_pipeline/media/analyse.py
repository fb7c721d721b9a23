"""What only decoding tells: whether a picture is interlaced, whether an audio track is silent.

Both are short ffmpeg runs through the one runner; probe.py calls them only where the
container's own flags cannot be trusted (idet) or a choice depends on it (several audio tracks).
"""

from __future__ import annotations

import re
from pathlib import Path

from psa_pipeline.media.runner import run_ffmpeg

IDET_FRAMES = 60
# idet's default (1.04) calls sharp, fast-moving progressive pictures (test patterns, screen
# recordings) interlaced; at 1.5 woven fields still score every frame and progressive ones none.
IDET_THRESHOLD = 1.5
ANALYSE_TIMEOUT = 120
# Peak under this is no programme sound: an empty track, or a dither-only one.
SILENT_PEAK_DB = -60.0


def interlaced_by_idet(path: Path, video_position: int = 0) -> bool:
    """True when ffmpeg's idet sees more interlaced than progressive frames in the first frames.

    Many editors flag an interlaced export as progressive (or not at all), so the field
    order in the container is not enough on its own.
    """
    stderr = run_ffmpeg(
        ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
         "-map", f"0:v:{video_position}", "-frames:v", str(IDET_FRAMES), "-vf", f"idet=intl_thres={IDET_THRESHOLD}",
         "-an", "-f", "null", "-"],
        timeout=ANALYSE_TIMEOUT,
    )  # fmt: skip
    match = re.search(r"Multi frame detection:\s*TFF:\s*(\d+)\s*BFF:\s*(\d+)\s*Progressive:\s*(\d+)", stderr)
    if not match:
        return False
    tff, bff, progressive = (int(group) for group in match.groups())
    return tff + bff > max(progressive, 2)


def silent_tracks(path: Path, count: int) -> list[bool]:
    """For each of the first `count` audio tracks: is it silent (peak under SILENT_PEAK_DB)?"""
    graph = ";".join(f"[0:a:{i}]volumedetect[v{i}]" for i in range(count))
    command = ["ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
               "-filter_complex", graph]  # fmt: skip
    for i in range(count):
        command += ["-map", f"[v{i}]", "-f", "null", "-"]
    stderr = run_ffmpeg(command, timeout=ANALYSE_TIMEOUT)
    peaks: dict[int, float] = {}
    for match in re.finditer(r"Parsed_volumedetect_(\d+) @ [^\]]*\] max_volume: (-?inf|-?[0-9.]+) dB", stderr):
        peaks[int(match.group(1))] = float(match.group(2))
    # A track with no samples at all prints nothing: that is silent too.
    return [peaks.get(i, float("-inf")) < SILENT_PEAK_DB for i in range(count)]
