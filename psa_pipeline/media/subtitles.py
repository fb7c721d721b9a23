"""Subtitle tracks: read them exactly (srtvtt.py) and check that people can read them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from psa_pipeline.core.problems import Location, Problem, PsaError
from psa_pipeline.manifest.model import SubtitleRules, SubtitleTrack
from psa_pipeline.media.cuetext import TimedCue, split_align
from psa_pipeline.media.srtvtt import SubtitleError, parse_srt, parse_vtt

__all__ = ["SubtitleError", "TimedCue", "check_cues", "read_cues"]

MAX_SUBTITLE_BYTES = 2 * 1024 * 1024


def read_cues(track: SubtitleTrack, file: Path | None, inline_location: Callable[[int], Location]) -> list[TimedCue]:
    """Cues of a track, from its file or its inline list; PsaError (at the file's line) if it cannot be read."""
    if track.cues is not None:
        cues = []
        for i, c in enumerate(track.cues):
            # Split on newlines only: YAML's "\N" is U+0085, a character, not a line break.
            lines, align = split_align([line for line in c.text.split("\n") if line.strip()])
            cues.append(TimedCue(c.start, c.end, tuple(lines), inline_location(i), align, i + 1))
        return cues
    if file is None:
        raise PsaError("a subtitle track needs `file:` or `cues:`")
    if file.stat().st_size > MAX_SUBTITLE_BYTES:
        raise PsaError(f"{file}: subtitle file is larger than {MAX_SUBTITLE_BYTES // 1024} KiB")
    text = _decode(file.read_bytes(), file)
    fmt = {".srt": "srt", ".vtt": "vtt"}.get(file.suffix.lower())
    if fmt is None:
        raise PsaError(f"{file}: subtitles must be SRT (.srt) or WebVTT (.vtt)")
    cues = parse_srt(text, file) if fmt == "srt" else parse_vtt(text, file)
    if not any(not cue.empty for cue in cues):
        raise SubtitleError(
            f"{'the file is empty' if not text.strip() else 'no cue has any text'}: "
            "add the cues, or remove this track from psa.yaml",
            Location(file, 1),
        )
    return cues


def _decode(data: bytes, file: Path) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with its BOM as Windows Notepad saves "Unicode"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise SubtitleError("this UTF-16 file is damaged; save it again as UTF-8", Location(file, 1)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SubtitleError(
            f"this file is not UTF-8 (byte 0x{data[exc.start]:02X} on this line; Windows-1252 or Latin-1?); "
            "save it as UTF-8",
            Location(file, line),
        ) from None


def check_cues(cues: list[TimedCue], rules: SubtitleRules, media_duration: float | None, check: str) -> list[Problem]:
    """Readability and timing problems, errors for what breaks playback, warnings for style."""
    problems: list[Problem] = []

    def add(severity: str, cue: TimedCue, message: str) -> None:
        problems.append(Problem("error" if severity == "error" else "warning", check, message, cue.location))

    for cue in cues:
        if cue.empty:
            add("warning", cue, f"cue {cue.number} ({_clock(cue.start)}) has no text; it is left out")
    ordered = sorted((c for c in cues if not c.empty), key=lambda c: c.start)
    for position, cue in enumerate(ordered, start=1):
        label = f"cue {cue.number} ({_clock(cue.start)})"
        duration = cue.end - cue.start
        if duration <= 0:
            add("error", cue, f"{label} ends before it starts")
            continue
        if media_duration is not None and cue.end > media_duration + 0.001:
            add("error", cue, f"{label} ends at {cue.end:.2f} s, after the media ends ({media_duration:.2f} s)")
        if duration < rules.min_duration:
            add("warning", cue, f"{label} is on screen {duration:.2f} s; minimum is {rules.min_duration:.2f} s")
        if duration > rules.max_duration:
            add("warning", cue, f"{label} is on screen {duration:.2f} s; maximum is {rules.max_duration:.2f} s")
        shown = cue.plain.split("\n")
        if len(shown) > rules.max_lines:
            add("warning", cue, f"{label} has {len(shown)} lines; maximum is {rules.max_lines}")
        for line in shown:
            if len(line) > rules.max_chars_per_line:
                add(
                    "warning",
                    cue,
                    f"{label} has a line of {len(line)} characters; maximum is {rules.max_chars_per_line}",
                )
        chars = sum(len(line) for line in shown)
        cps = chars / duration
        if cps > rules.max_chars_per_second:
            add(
                "warning",
                cue,
                f"{label} needs {cps:.1f} characters per second; maximum is {rules.max_chars_per_second:g}",
            )
        if position > 1:
            previous = ordered[position - 2]
            if cue.start < previous.end - 0.001:
                add("error", cue, f"{label} overlaps cue {previous.number} (which ends at {_clock(previous.end)})")
            elif cue.start - previous.end < rules.min_gap - 0.001:
                gap = cue.start - previous.end
                add(
                    "warning",
                    cue,
                    f"{label} follows cue {previous.number} after {gap:.3f} s; minimum gap is {rules.min_gap:.3f} s",
                )
    return problems


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"
