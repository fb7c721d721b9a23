"""Small helpers of the single-PSA benchmark: loudness measurement, fonts, milliseconds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from common import BenchError, ffprobe, run
from spec import FALLBACK_BOLD, FALLBACK_REGULAR, FFMPEG, FONT_BOLD, FONT_REGULAR

# ---- small helpers -------------------------------------------------------------------------


def duration_of(path: Path) -> float:
    # The container's duration, as psa takes it, so every approach assembles the same timeline.
    return float(ffprobe(path)["format"]["duration"])


@dataclass(frozen=True)
class Loudness:
    integrated: float
    true_peak: float


def parse_ebur128(stderr: str) -> Loudness:
    body = stderr.rsplit("Summary:", 1)
    if len(body) != 2:
        raise BenchError("ffmpeg printed no ebur128 summary")

    def value(label: str) -> float:
        match = re.search(rf"^\s*{label}:\s*(-?inf|-?[0-9.]+)", body[1], re.MULTILINE)
        if not match:
            raise BenchError(f"ebur128 summary has no {label}")
        return float(match.group(1))

    return Loudness(value("I"), value("Peak"))


# framelog=verbose keeps the per-frame lines out of an info-level log; the summary stays.
EBUR128 = "ebur128=peak=true:framelog=verbose"


def measure_file(path: Path) -> Loudness:
    command = [*FFMPEG, "-v", "info", "-i", str(path), "-map", "0:a:0", "-af", EBUR128, "-f", "null", "-"]
    return parse_ebur128(run(command))


def ms(seconds: float) -> int:
    return round(seconds * 1000)


def fonts() -> tuple[Path, Path]:
    if FONT_BOLD.is_file() and FONT_REGULAR.is_file():
        return FONT_BOLD, FONT_REGULAR
    if FALLBACK_BOLD.is_file() and FALLBACK_REGULAR.is_file():
        return FALLBACK_BOLD, FALLBACK_REGULAR
    raise BenchError("no Noto Sans or DejaVu Sans font (apt-get install fonts-noto-core)")
