"""Loudness to three decimals: the build's own meter for deciding and checking gains.

ffmpeg's ebur128 summary prints one decimal, so a file it calls -1.0 dBTP may really be -0.96
and a gain step of 0.05 dB cannot be seen. The same filter also attaches its running values to
each frame with three decimals (metadata=1); the last frame carries the whole file's integrated
loudness and true peak. The summary still says whether the file is silent and gives the range.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from psa_pipeline.media.probe import Loudness, parse_ebur128_summary
from psa_pipeline.media.runner import run_ffmpeg

_KEYS = ("lavfi.r128.I", "lavfi.r128.true_peak")


def meter_filter() -> str:
    """The filter chain that meters; its log lines (ffmpeg at `-v info`) are read by `parse`."""
    prints = ",".join(f"ametadata=mode=print:key={key}" for key in _KEYS)
    return f"ebur128=peak=true:metadata=1,{prints}"


def meter_command(path: Path, stream: int = 0) -> list[str]:
    return [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
        "-map", f"0:a:{stream}", "-vn", "-sn", "-dn", "-filter:a", meter_filter(), "-f", "null", "-",
    ]  # fmt: skip


def measure(path: Path, stream: int = 0) -> Loudness:
    """Integrated loudness (LUFS) and true peak (dBTP, 4x oversampled) to 0.001; loudness range as ebur128 says."""
    return parse(run_ffmpeg(meter_command(path, stream)), path)


def parse(stderr: str, path: Path) -> Loudness:
    """The loudness in the log of an ffmpeg run with one `meter_filter()` chain; `path` names it in errors."""
    summary = parse_ebur128_summary(stderr, path)
    if summary.silent:
        return summary
    integrated = _last(stderr, _KEYS[0])
    peak = _last(stderr, _KEYS[1])
    if integrated is None or peak is None:
        return summary
    true_peak = 20 * math.log10(peak) if peak > 0 else -math.inf
    return Loudness(integrated, summary.loudness_range, true_peak)


def _last(text: str, key: str) -> float | None:
    found = re.findall(rf"{re.escape(key)}=(-?[0-9.]+|-?inf|nan)\s*$", text, re.MULTILINE)
    if not found:
        return None
    value = float(found[-1])
    return None if math.isnan(value) else value
