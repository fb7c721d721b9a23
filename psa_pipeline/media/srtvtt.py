"""Strict SRT and WebVTT readers that know the line of every cue.

Editors write SRT many ways; each variant here is read exactly (the time means what the
author meant) or refused at its line, never guessed: `.` or `:` before the milliseconds,
hours left out, a byte-order mark, CRLF, cue numbers missing or out of order, a missing blank
line before the next number. A cue with no text is kept (empty) so the checks can name it.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from psa_pipeline.core.problems import Location, PsaError
from psa_pipeline.media.cuetext import TimedCue, split_align

CLOCK = r"(?:(\d+):)?([0-5]?\d):([0-5]\d)(?:[,.:](\d{1,3}))?"
SRT_TIMING = re.compile(rf"^\s*{CLOCK}\s*-->\s*{CLOCK}(?:\s.*)?$")
VTT_TIMING = re.compile(rf"^\s*{CLOCK}\s+-->\s+{CLOCK}((?:\s+\S+)*)\s*$")
NUMBER = re.compile(r"^\s*\d+\s*$")
# Meant as cue times even if mistyped ("->", "-- >", a missing digit): refuse it as times, at its line.
LOOKS_TIMED = re.compile(r"\d:\d.*-\s*-?\s*>")
VTT_TAG = re.compile(r"</?(?:c|v|lang|ruby|rt)(?:[.\s][^<>]*)?>|<\d[\d:.]*>", re.IGNORECASE)
EXAMPLE = "00:00:01,000 --> 00:00:03,500"


class SubtitleError(PsaError):
    """A subtitle file that cannot be read exactly; the location is the file and line."""


def _seconds(groups: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, fraction = groups
    # "1,5" is half a second: the digits are a fraction, whatever their count.
    millis = int((fraction or "0").ljust(3, "0"))
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + int(seconds or 0) + millis / 1000


def _times(match: re.Match[str]) -> tuple[float, float]:
    return _seconds(match.groups()[0:4]), _seconds(match.groups()[4:8])


def _lines(text: str) -> list[str]:
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def parse_srt(text: str, file: Path) -> list[TimedCue]:
    lines = _lines(text)
    if lines and lines[0].startswith("WEBVTT"):
        raise SubtitleError("this is a WebVTT file named .srt; rename it to .vtt", Location(file, 1))
    cues: list[TimedCue] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        if NUMBER.match(lines[i]) and i + 1 < len(lines) and LOOKS_TIMED.search(lines[i + 1]):
            i += 1
        timing = SRT_TIMING.match(lines[i])
        if timing is None:
            if LOOKS_TIMED.search(lines[i]):
                raise SubtitleError(
                    f"cannot read the cue times {lines[i].strip()[:60]!r}; write them like {EXAMPLE}",
                    Location(file, i + 1),
                )
            raise SubtitleError(
                f"expected a cue number or times like {EXAMPLE}, found {lines[i].strip()[:60]!r}; "
                "is a blank line missing or extra above it?",
                Location(file, i + 1),
            )
        at = i + 1
        i += 1
        body: list[str] = []
        while i < len(lines) and lines[i].strip():
            if SRT_TIMING.match(lines[i]):
                # The next cue began without a blank line; its number, if any, is our last line.
                if body and NUMBER.match(body[-1]):
                    body.pop()
                break
            body.append(lines[i].rstrip())
            i += 1
        start, end = _times(timing)
        body, align = split_align(body)
        cues.append(TimedCue(start, end, tuple(body), Location(file, at), align, len(cues) + 1))
    return cues


def parse_vtt(text: str, file: Path) -> list[TimedCue]:
    lines = _lines(text)
    if not lines or not (lines[0] == "WEBVTT" or lines[0].startswith(("WEBVTT ", "WEBVTT\t"))):
        looks_srt = any(SRT_TIMING.match(line) and "," in line for line in lines[:5])
        hint = "this looks like SRT: rename it to .srt" if looks_srt else "add it as the first line"
        raise SubtitleError(f"a WebVTT file must start with the line 'WEBVTT'; {hint}", Location(file, 1))
    cues: list[TimedCue] = []
    i = 1
    while i < len(lines) and lines[i].strip():
        i += 1  # header lines
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        block = i
        while i < len(lines) and lines[i].strip():
            i += 1
        first = lines[block]
        if first.startswith(("NOTE", "STYLE", "REGION")) and "-->" not in first:
            continue
        timing_at = block if "-->" in first else block + 1
        timing = VTT_TIMING.match(lines[timing_at]) if timing_at < i else None
        if timing is None:
            bad = lines[timing_at] if timing_at < i else first
            raise SubtitleError(
                f"cannot read the cue times {bad.strip()[:60]!r}; write them like 00:00:01.000 --> 00:00:03.500",
                Location(file, min(timing_at, i - 1) + 1),
            )
        body = [_vtt_line(line.rstrip()) for line in lines[timing_at + 1 : i]]
        start, end = _times(timing)
        cues.append(
            TimedCue(start, end, tuple(body), Location(file, timing_at + 1), _vtt_align(timing.group(9)), len(cues) + 1)
        )
    return cues


def _vtt_line(line: str) -> str:
    # Class, voice and timestamp tags are markup; entities are the characters they stand for.
    return html.unescape(VTT_TAG.sub("", line)).replace("\u00a0", " ")


def _vtt_align(settings: str | None) -> int | None:
    match = re.search(r"\bline:(-?\d+(?:\.\d+)?)(%?)", settings or "")
    if not match:
        return None
    value, percent = float(match.group(1)), match.group(2)
    if (percent and value < 34) or (not percent and value >= 0 and value < 3):
        return 8
    if percent and value < 67:
        return 5
    return None
