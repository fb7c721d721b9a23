"""What a media file holds (ffprobe) and how loud it is (ffmpeg's ebur128, true peak on)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from psa_pipeline.core.problems import MediaError
from psa_pipeline.media.runner import ToolTimeout, capture

PROBE_TIMEOUT = 60
# Measuring decodes the whole file; a PSA is minutes at most.
LOUDNESS_TIMEOUT = 600


@dataclass(frozen=True)
class Stream:
    index: int
    kind: str  # audio, video, subtitle, data
    codec: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    frame_rate: float | None = None
    variable_frame_rate: bool = False
    sample_rate: int | None = None
    channels: int | None = None
    channel_layout: str | None = None
    language: str | None = None
    title: str | None = None
    still_image: bool = False


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    format_name: str
    duration: float
    size: int
    streams: list[Stream] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[Stream]:
        return [s for s in self.streams if s.kind == kind]

    @property
    def audio(self) -> Stream | None:
        found = self.of_kind("audio")
        return found[0] if found else None

    @property
    def video(self) -> Stream | None:
        found = [s for s in self.of_kind("video") if not s.still_image]
        return found[0] if found else None

    @property
    def is_image(self) -> bool:
        return self.format_name.endswith("_pipe") or self.format_name == "image2"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


@dataclass(frozen=True)
class Loudness:
    """EBU R128 measurement; `integrated` is -inf for silence (nothing above the -70 LUFS gate)."""

    integrated: float
    loudness_range: float
    true_peak: float

    @property
    def silent(self) -> bool:
        return math.isinf(self.integrated)

    def to_json(self) -> dict[str, float | None]:
        def finite(value: float) -> float | None:
            return None if math.isinf(value) else round(value, 2)

        return {
            "integrated_lufs": finite(self.integrated),
            "loudness_range_lu": round(self.loudness_range, 2),
            "true_peak_dbtp": finite(self.true_peak),
        }


def probe(path: Path) -> MediaInfo:
    """Streams and duration of `path`; MediaError if it is missing, not media, or damaged."""
    if not path.is_file():
        raise MediaError(f"{path}: file not found")
    command = [
        "ffprobe", "-v", "warning", "-print_format", "json",
        "-show_format", "-show_streams", "--", str(path),
    ]  # fmt: skip
    try:
        result = capture(command, timeout=PROBE_TIMEOUT)
    except ToolTimeout:
        raise MediaError(f"{path}: ffprobe took more than {PROBE_TIMEOUT} s; the file looks damaged") from None
    detail = _first_line(result.stderr)
    damage = _damage(result.stderr)
    if result.returncode != 0:
        raise MediaError(f"{path}: cannot be read as media ({detail or 'ffprobe failed'})")
    data = json.loads(result.stdout or b"{}")
    fmt = data.get("format") or {}
    streams = [_stream(s) for s in data.get("streams", [])]
    if not streams:
        raise MediaError(f"{path}: no audio or video streams ({detail or 'not a media file'})")
    duration = _float(fmt.get("duration"))
    if duration is None:
        durations = [s.duration for s in streams if s.duration]
        duration = max(durations) if durations else 0.0
    if damage:
        # ffprobe exits 0 on many damaged files (a cut-off WAV, say) but says so on stderr.
        raise MediaError(f"{path}: file is damaged or truncated ({damage})")
    return MediaInfo(path, str(fmt.get("format_name", "")), duration, path.stat().st_size, streams)


def measure_loudness(path: Path, stream: int = 0) -> Loudness:
    """Integrated loudness, loudness range and true peak of the `stream`-th audio stream."""
    command = [
        "ffmpeg", "-nostdin", "-hide_banner", "-nostats", "-v", "info", "-i", str(path),
        "-map", f"0:a:{stream}", "-vn", "-sn", "-dn",
        "-filter:a", "ebur128=peak=true", "-f", "null", "-",
    ]  # fmt: skip
    try:
        result = capture(command, timeout=LOUDNESS_TIMEOUT)
    except ToolTimeout:
        raise MediaError(f"{path}: loudness measurement took more than {LOUDNESS_TIMEOUT} s") from None
    text = result.stderr
    if result.returncode != 0:
        raise MediaError(f"{path}: cannot measure loudness ({_last_error(text)})")
    return parse_ebur128_summary(text, path)


def parse_ebur128_summary(text: str, path: Path) -> Loudness:
    summary = text.rsplit("Summary:", 1)
    if len(summary) != 2:
        raise MediaError(f"{path}: ffmpeg printed no loudness summary")
    body = summary[1]

    def value(label: str) -> float:
        match = re.search(rf"^\s*{label}:\s*(-?inf|-?[0-9.]+)", body, re.MULTILINE)
        if not match:
            raise MediaError(f"{path}: loudness summary has no '{label}' value")
        return float(match.group(1))

    integrated = value("I")
    threshold = value("Threshold")
    # ebur128 reports -70 LUFS with a 0 LUFS threshold when no block passed the gate: silence.
    if integrated <= -70.0 and threshold == 0.0:
        integrated = -math.inf
    return Loudness(integrated, value("LRA"), value("Peak"))


def _stream(raw: dict[str, Any]) -> Stream:
    kind = str(raw.get("codec_type", "data"))
    tags = raw.get("tags") or {}
    disposition = raw.get("disposition") or {}
    frame_rate = _rate(raw.get("avg_frame_rate")) or _rate(raw.get("r_frame_rate"))
    r_rate = _rate(raw.get("r_frame_rate"))
    variable = bool(kind == "video" and frame_rate and r_rate and abs(frame_rate - r_rate) > 0.01 * r_rate)
    return Stream(
        index=int(raw.get("index", 0)),
        kind=kind,
        codec=str(raw.get("codec_name", "unknown")),
        duration=_float(raw.get("duration")),
        width=raw.get("width"),
        height=raw.get("height"),
        frame_rate=round(frame_rate, 3) if frame_rate else None,
        variable_frame_rate=variable,
        sample_rate=int(raw["sample_rate"]) if raw.get("sample_rate") else None,
        channels=raw.get("channels"),
        channel_layout=raw.get("channel_layout"),
        language=tags.get("language"),
        title=tags.get("title"),
        still_image=bool(disposition.get("attached_pic")),
    )


def _rate(text: Any) -> float | None:
    try:
        rate = Fraction(str(text))
    except (ValueError, ZeroDivisionError):
        return None
    return float(rate) if rate > 0 else None


def _float(text: Any) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _first_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[0][:300] if lines else ""


_DAMAGE = re.compile(r"corrupt|truncat|invalid data|error|incomplete|partial file", re.IGNORECASE)


def _damage(stderr: str) -> str:
    for line in stderr.splitlines():
        if _DAMAGE.search(line):
            return line.strip()[:300]
    return ""


def _last_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "ffmpeg failed"
