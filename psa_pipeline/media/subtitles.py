"""Subtitle tracks: read them (pysubs2) and check that people can read them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pysubs2

from psa_pipeline.core.problems import Location, Problem, PsaError
from psa_pipeline.manifest.model import SubtitleRules, SubtitleTrack

MAX_SUBTITLE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class TimedCue:
    start: float
    end: float
    lines: tuple[str, ...]
    location: Location

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def read_cues(track: SubtitleTrack, file: Path | None, inline_location: Callable[[int], Location]) -> list[TimedCue]:
    """Cues of a track, from its file or its inline list; PsaError if the file cannot be parsed."""
    if track.cues is not None:
        return [
            TimedCue(c.start, c.end, tuple(c.text.splitlines()), inline_location(i)) for i, c in enumerate(track.cues)
        ]
    if file is None:
        raise PsaError("a subtitle track needs `file:` or `cues:`")
    if file.stat().st_size > MAX_SUBTITLE_BYTES:
        raise PsaError(f"{file}: subtitle file is larger than {MAX_SUBTITLE_BYTES // 1024} KiB")
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PsaError(f"{file}: subtitle file is not UTF-8; save it as UTF-8") from None
    fmt = {".srt": "srt", ".vtt": "vtt"}.get(file.suffix.lower())
    if fmt is None:
        raise PsaError(f"{file}: subtitles must be SRT (.srt) or WebVTT (.vtt)")
    try:
        subs = pysubs2.SSAFile.from_string(text, format_=fmt)
    except Exception as exc:  # pysubs2 raises several unrelated types for bad input
        raise PsaError(f"{file}: cannot parse {fmt.upper()} subtitles ({exc})") from None
    events = [e for e in subs.events if not e.is_comment and e.plaintext.strip()]
    if not events and text.strip():
        raise PsaError(f"{file}: no cues found; is this really {fmt.upper()}?")
    timing_lines = [n for n, line in enumerate(text.splitlines(), start=1) if "-->" in line]
    cues = []
    for i, event in enumerate(events):
        line = timing_lines[i] if i < len(timing_lines) else None
        lines = tuple(part.strip() for part in event.plaintext.splitlines() if part.strip())
        cues.append(TimedCue(event.start / 1000, event.end / 1000, lines, Location(file, line)))
    return cues


def check_cues(cues: list[TimedCue], rules: SubtitleRules, media_duration: float | None, check: str) -> list[Problem]:
    """Readability and timing problems, errors for what breaks playback, warnings for style."""
    problems: list[Problem] = []

    def add(severity: str, cue: TimedCue, message: str) -> None:
        problems.append(Problem("error" if severity == "error" else "warning", check, message, cue.location))

    ordered = sorted(cues, key=lambda c: c.start)
    for number, cue in enumerate(ordered, start=1):
        label = f"cue {number} ({_clock(cue.start)})"
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
        if len(cue.lines) > rules.max_lines:
            add("warning", cue, f"{label} has {len(cue.lines)} lines; maximum is {rules.max_lines}")
        for line in cue.lines:
            if len(line) > rules.max_chars_per_line:
                add(
                    "warning",
                    cue,
                    f"{label} has a line of {len(line)} characters; maximum is {rules.max_chars_per_line}",
                )
        chars = sum(len(line) for line in cue.lines)
        cps = chars / duration
        if cps > rules.max_chars_per_second:
            add(
                "warning",
                cue,
                f"{label} needs {cps:.1f} characters per second; maximum is {rules.max_chars_per_second:g}",
            )
        if number > 1:
            previous = ordered[number - 2]
            if cue.start < previous.end - 0.001:
                add("error", cue, f"{label} overlaps cue {number - 1} (which ends at {_clock(previous.end)})")
            elif cue.start - previous.end < rules.min_gap - 0.001:
                gap = cue.start - previous.end
                add(
                    "warning",
                    cue,
                    f"{label} follows cue {number - 1} after {gap:.3f} s; minimum gap is {rules.min_gap:.3f} s",
                )
    return problems


def _clock(seconds: float) -> str:
    minutes, rest = divmod(seconds, 60)
    return f"{int(minutes):02d}:{rest:06.3f}"
