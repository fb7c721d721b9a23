"""What a media file holds (ffprobe) and how loud it is (ffmpeg's ebur128, true peak on)."""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from psa_pipeline.core.i18n import N_, _
from psa_pipeline.core.problems import MediaError
from psa_pipeline.media.analyse import interlaced_by_idet, silent_tracks
from psa_pipeline.media.runner import ToolTimeout, capture
from psa_pipeline.media.sniff import refuse_non_media

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
    start: float = 0.0  # first timestamp, seconds after the file's origin (0 = starts with the file)
    end: float | None = None  # where its last packet ends, from the demuxed packets, not the header
    rotation: int = 0  # degrees from the display matrix: a phone held upright records 90 or -90
    sample_aspect: float = 1.0  # pixel width / height: 16:9 anamorphic PAL is 64/45
    interlaced: bool = False
    field_order: str | None = None
    color_transfer: str | None = None
    pix_fmt: str | None = None
    default: bool = False
    silent: bool | None = None  # measured only when a file has several audio tracks

    @property
    def display_size(self) -> tuple[int, int] | None:
        """Width and height as the picture is shown: square pixels, upright."""
        if not self.width or not self.height:
            return None
        width = max(2, round(self.width * self.sample_aspect / 2) * 2)
        height = self.height
        return (height, width) if abs(self.rotation) % 180 == 90 else (width, height)

    @property
    def hdr(self) -> bool:
        return self.color_transfer in HDR_TRANSFERS


HDR_TRANSFERS = frozenset({"smpte2084", "arib-std-b67"})
INTERLACED_ORDERS = frozenset({"tt", "bb", "tb", "bt"})


@dataclass(frozen=True)
class MediaInfo:
    path: Path
    format_name: str
    duration: float
    size: int
    streams: list[Stream] = field(default_factory=list)
    audio_track: int | None = None  # position among the audio streams of the one a build uses
    # Why that track (a key of TRACK_REASONS, not text: probes are remembered, and read in any language).
    audio_reason: str = ""

    def of_kind(self, kind: str) -> list[Stream]:
        return [s for s in self.streams if s.kind == kind]

    @property
    def audio(self) -> Stream | None:
        """The audio stream a build uses when the manifest does not choose one."""
        found = self.of_kind("audio")
        return found[self.audio_track or 0] if found else None

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


def probe(path: Path, analyse: bool = True) -> MediaInfo:
    """Streams and exact duration of `path`; MediaError with a reason and a fix if it is not usable media.

    The packets are demuxed to the end (no decoding): header durations of ADTS AAC or of MP3
    without a Xing header are bitrate guesses, and a file cut short still declares its full
    length. `analyse` adds the checks that decode a little (interlace, silent audio tracks).
    """
    if not path.is_file():
        raise MediaError(_("{path}: file not found").format(path=path))
    refuse_non_media(path)
    command = [
        "ffprobe", "-v", "warning", "-print_format", "json", "-show_format", "-show_streams",
        "-show_entries", "packet=stream_index,pts_time,dts_time,duration_time", "--", str(path),
    ]  # fmt: skip
    try:
        result = capture(command, timeout=PROBE_TIMEOUT)
    except ToolTimeout:
        raise MediaError(
            _("{path}: ffprobe took more than {seconds} s; the file looks damaged").format(
                path=path, seconds=PROBE_TIMEOUT
            )
        ) from None
    detail = _first_line(result.stderr)
    if result.returncode != 0:
        raise MediaError(f"{path}: {_unreadable(result.stderr)}")
    data = json.loads(result.stdout or b"{}")
    fmt = data.get("format") or {}
    origin = _float(fmt.get("start_time")) or 0.0
    ends = _packet_ends(data.get("packets") or [], origin)
    streams = [_stream(s, origin, ends) for s in data.get("streams", [])]
    if not any(s.kind in ("audio", "video") for s in streams):
        raise MediaError(
            _("{path}: has no audio or video in it ({detail}); export it again").format(
                path=path, detail=detail or _("not a media file")
            )
        )
    format_name = str(fmt.get("format_name", ""))
    declared = _float(fmt.get("duration"))
    measured = max((s.end for s in streams if s.end is not None and s.kind in ("audio", "video")), default=None)
    duration = measured if measured is not None else (declared or 0.0)
    _refuse_damaged(path, format_name, declared, measured, _damage(result.stderr))
    info = MediaInfo(path, format_name, duration, path.stat().st_size, streams)
    return _analysed(info) if analyse else info


def _refuse_damaged(path: Path, format_name: str, declared: float | None, measured: float | None, damage: str) -> None:
    """MediaError if the packets end well before the header's length, or ffprobe saw damage."""
    if declared is not None and measured is not None and _trusts_header(format_name):
        # With damage reported, any shortfall is the cut; without, allow for rounding in headers.
        tolerance = 0.05 if damage else max(0.25, 0.02 * declared)
        if measured < declared - tolerance:
            raise MediaError(
                _("{path}: this file is cut short: it ends at {measured:.1f} s of {declared:.1f} s; "
                  "export or copy it again").format(path=path, measured=measured, declared=declared)
            )  # fmt: skip
    if damage:
        # ffprobe exits 0 on many damaged files (a cut-off WAV, say) but says so on stderr.
        raise MediaError(
            _("{path}: file is damaged or truncated (ffmpeg says: {damage}); export or copy it again").format(
                path=path, damage=damage
            )
        )


def _analysed(info: MediaInfo) -> MediaInfo:
    streams = list(info.streams)
    video = info.video
    if video is not None and not video.interlaced:
        # Editors often flag a combed export "progressive" (or not at all): look at the fields themselves.
        position = [s for s in info.of_kind("video") if not s.still_image].index(video)
        if interlaced_by_idet(info.path, position):
            streams[streams.index(video)] = replace(video, interlaced=True)
    audio = [s for s in streams if s.kind == "audio"]
    track, reason = (0, "only") if len(audio) == 1 else (None, "")
    if len(audio) > 1:
        silent = silent_tracks(info.path, len(audio))
        for stream, quiet in zip(audio, silent, strict=True):
            streams[streams.index(stream)] = replace(stream, silent=quiet)
        track, reason = choose_track([s.default for s in audio], silent)
    return replace(info, streams=streams, audio_track=track, audio_reason=reason)


def choose_track(defaults: list[bool], silent: list[bool]) -> tuple[int, str]:
    """The audio track to use (the default one unless silent, else the first with sound) and a TRACK_REASONS key."""
    for i, (default, quiet) in enumerate(zip(defaults, silent, strict=True)):
        if default and not quiet:
            return i, "default"
    for i, quiet in enumerate(silent):
        if not quiet:
            return i, "first-with-sound"
    return 0, "all-silent"


TRACK_REASONS = {
    "only": N_("the only audio track"),
    "default": N_("audio track {track} of {count}: marked default"),
    "first-with-sound": N_("audio track {track} of {count}: the first that is not silent"),
    "all-silent": N_("audio track {track} of {count}: every track is silent"),
}


def track_reason(info: MediaInfo) -> str:
    """Why the build uses the track it uses, in the user's language ("" when there is no audio)."""
    template = TRACK_REASONS.get(info.audio_reason)
    if template is None or info.audio_track is None:
        return ""
    return _(template).format(track=info.audio_track + 1, count=len(info.of_kind("audio")))


# Containers whose header duration is written from the real content, so a shorter file is cut.
_HEADER_TRUSTED = ("mov", "matroska", "webm", "avi", "wav", "w64", "flac", "mxf")


def _trusts_header(format_name: str) -> bool:
    return any(name in format_name.split(",") for name in _HEADER_TRUSTED)


def _packet_ends(packets: list[dict[str, Any]], origin: float) -> dict[int, tuple[float, float]]:
    """(first timestamp, end of last packet) of each stream, in seconds after `origin`."""
    spans: dict[int, tuple[float, float]] = {}
    for packet in packets:
        at = _float(packet.get("pts_time"))
        if at is None:
            at = _float(packet.get("dts_time"))
        if at is None:
            continue
        end = at + (_float(packet.get("duration_time")) or 0.0)
        index = int(packet.get("stream_index", 0))
        first, last = spans.get(index, (at, end))
        spans[index] = (min(first, at), max(last, end))
    return {i: (first - origin, last - origin) for i, (first, last) in spans.items()}


_NOT_MEDIA = N_("this is not an audio or video file ffmpeg can read; export it again as MP4, WAV or MP3")
# First match wins: a guessed format ("low score") fails with that format's error, which would mislead.
_UNREADABLE = (
    ("detected only with low score", _NOT_MEDIA),
    ("moov atom not found", N_("this file is incomplete (its index is missing: the export or copy stopped early); "
     "export or copy it again")),
    ("error reading header", N_("this file is incomplete or damaged (its header cannot be read); "
     "export or copy it again")),
    ("Invalid data found", _NOT_MEDIA),
    ("Permission denied", N_("cannot be read (permission denied); check the file's permissions")),
)  # fmt: skip


def _unreadable(stderr: str) -> str:
    for needle, reason in _UNREADABLE:
        if needle.lower() in stderr.lower():
            return _(reason)
    return _("cannot be read as media ({error}); export it again").format(error=_last_error(stderr))


def video_summary(stream: Stream) -> str:
    """One line about a picture stream, with everything a build will correct."""
    parts = [f"{stream.width}x{stream.height} {stream.frame_rate or '?'} fps"]
    if stream.variable_frame_rate:
        parts.append(_("variable frame rate"))
    shown = stream.display_size
    if shown and (stream.rotation or abs(stream.sample_aspect - 1) > 0.01):
        turned = _(" (turned {degrees} degrees)").format(degrees=stream.rotation) if stream.rotation else ""
        parts.append(_("shown as {width}x{height}").format(width=shown[0], height=shown[1]) + turned)
    if stream.start > 0.0005:
        parts.append(_("starts at {seconds:.3f} s").format(seconds=stream.start))
    if stream.interlaced:
        found = stream.field_order if stream.field_order in INTERLACED_ORDERS else _("combing found by idet")
        parts.append(_("interlaced ({how})").format(how=found))
    if stream.hdr:
        parts.append(f"HDR ({stream.color_transfer}, {stream.pix_fmt})")
    return ", ".join(parts)


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
        raise MediaError(
            _("{path}: loudness measurement took more than {seconds} s").format(path=path, seconds=LOUDNESS_TIMEOUT)
        ) from None
    text = result.stderr
    if result.returncode != 0:
        raise MediaError(_("{path}: cannot measure loudness ({error})").format(path=path, error=_last_error(text)))
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


def _stream(raw: dict[str, Any], origin: float, spans: dict[int, tuple[float, float]]) -> Stream:
    kind = str(raw.get("codec_type", "data"))
    tags = raw.get("tags") or {}
    disposition = raw.get("disposition") or {}
    frame_rate = _rate(raw.get("avg_frame_rate")) or _rate(raw.get("r_frame_rate"))
    r_rate = _rate(raw.get("r_frame_rate"))
    variable = bool(kind == "video" and frame_rate and r_rate and abs(frame_rate - r_rate) > 0.01 * r_rate)
    index = int(raw.get("index", 0))
    start_time = _float(raw.get("start_time"))
    first, end = spans.get(index, (None, None))
    start = start_time - origin if start_time is not None else (first or 0.0)
    field_order = raw.get("field_order")
    return Stream(
        index=index,
        kind=kind,
        codec=str(raw.get("codec_name", "unknown")),
        duration=round(end - start, 6) if end is not None else _float(raw.get("duration")),
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
        start=round(start, 6),
        end=round(end, 6) if end is not None else None,
        rotation=_rotation(raw),
        sample_aspect=_rate(str(raw.get("sample_aspect_ratio", "1:1")).replace(":", "/")) or 1.0,
        interlaced=field_order in INTERLACED_ORDERS,
        field_order=field_order,
        color_transfer=raw.get("color_transfer"),
        pix_fmt=raw.get("pix_fmt"),
        default=bool(disposition.get("default")),
    )


def _rotation(raw: dict[str, Any]) -> int:
    for side in raw.get("side_data_list") or []:
        if "rotation" in side:
            return round(float(side["rotation"]))
    rotate = str((raw.get("tags") or {}).get("rotate") or "")
    return int(rotate) if rotate.lstrip("-").isdigit() else 0


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
            # "[mov,mp4,m4a,3gp,3g2,mj2 @ 0x55d...] stream 0, offset 0x9c5d: partial file" -> what it found.
            return re.sub(r"^\[[^\]]* @ 0x[0-9a-f]+\]\s*", "", line.strip())[:200]
    return ""


def _last_error(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "ffmpeg failed"
