"""Text on screen and beside the file: ASS for libass (cards, burned captions), SRT/WebVTT tracks.

User text never enters an ffmpeg filtergraph: it goes into subtitle files that ffmpeg reads
from a working folder under plain names, so quotes, colons, brackets, percent signs and
backslashes in titles or cues cannot break or inject into the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pysubs2

from psa_pipeline.media.cuetext import TimedCue, ass_text, soft_text, srt_text, vtt_settings, vtt_text

FONT = "Noto Sans"  # Debian fonts-noto-core: full Latin coverage, installed by the Makefile


@dataclass(frozen=True)
class Card:
    """Text shown full-frame for a while: the title card during the intro, the end card at the end."""

    start: float
    end: float
    heading: str
    body: str


def _clock(seconds: float, comma: bool) -> str:
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{',' if comma else '.'}{millis:03d}"


def _shown(cues: Sequence[TimedCue]) -> list[TimedCue]:
    """Cues with text, in time order (validate warned about the empty ones)."""
    return sorted((c for c in cues if not c.empty), key=lambda c: (c.start, c.number))


def sidecar(cues: Sequence[TimedCue], offset: float, fmt: str) -> str:
    """SRT or WebVTT text with times moved to where the content sits after assembly."""
    blocks = []
    for n, cue in enumerate(_shown(cues), start=1):
        start, end = cue.start + offset, cue.end + offset
        if fmt == "vtt":
            blocks.append(f"{_clock(start, False)} --> {_clock(end, False)}{vtt_settings(cue)}\n{vtt_text(cue)}\n")
        else:
            blocks.append(f"{n}\n{_clock(start, True)} --> {_clock(end, True)}\n{srt_text(cue)}\n")
    return ("WEBVTT\n\n" if fmt == "vtt" else "") + "\n".join(blocks)


def soft_track(cues: Sequence[TimedCue], offset: float) -> str:
    """The SRT ffmpeg reads to make a soft (mov_text) track: like the sidecar, escapes made inert."""
    blocks = []
    for n, cue in enumerate(_shown(cues), start=1):
        start, end = _clock(cue.start + offset, True), _clock(cue.end + offset, True)
        blocks.append(f"{n}\n{start} --> {end}\n{soft_text(cue)}\n")
    return "\n".join(blocks)


def shifted(cues: Sequence[TimedCue], offset: float) -> list[pysubs2.SSAEvent]:
    """Burned-in caption events, positioned as the author asked (`{\\anN}`)."""
    events = []
    for cue in _shown(cues):
        position = f"{{\\an{cue.align}}}" if cue.align else ""
        events.append(
            pysubs2.SSAEvent(
                start=round((cue.start + offset) * 1000),
                end=round((cue.end + offset) * 1000),
                text=position + ass_text(cue.text),
            )
        )
    return events


def burn_in_ass(
    width: int,
    height: int,
    cards: Sequence[Card],
    captions: Sequence[TimedCue],
    offset: float,
    header: Card | None = None,
) -> str:
    """One ASS script with the cards and (optionally) captions, sized for a `width`x`height` frame."""
    subs = pysubs2.SSAFile()
    subs.info["PlayResX"] = str(width)
    subs.info["PlayResY"] = str(height)
    subs.info["WrapStyle"] = "0"
    subs.info["ScaledBorderAndShadow"] = "yes"
    vertical = height > width
    short = min(width, height)
    caption_size = round(short * (0.062 if vertical else 0.055))
    # Vertical apps put buttons on the bottom ~20 % and the right edge: keep captions above and inside.
    margin_v = round(height * (0.24 if vertical else 0.06))
    margin_side = round(width * (0.12 if vertical else 0.06))
    white, black, shade = pysubs2.Color(255, 255, 255), pysubs2.Color(0, 0, 0), pysubs2.Color(0, 0, 0, 96)
    subs.styles["Caption"] = pysubs2.SSAStyle(
        fontname=FONT, fontsize=caption_size, primarycolor=white, outlinecolor=black, backcolor=shade,
        bold=True, borderstyle=1, outline=max(2, caption_size // 12), shadow=1,
        alignment=pysubs2.Alignment.BOTTOM_CENTER, marginv=margin_v, marginl=margin_side, marginr=margin_side,
    )  # fmt: skip
    # Card text: white with a black outline, no box; size, weight, place and margin differ per role.
    for name, size, bold, place, margin in (
        ("Heading", 0.075, True, pysubs2.Alignment.MIDDLE_CENTER, 0.1),
        ("Body", 0.05, False, pysubs2.Alignment.BOTTOM_CENTER, 0.3 if vertical else 0.22),
        ("Header", 0.045, True, pysubs2.Alignment.TOP_CENTER, 0.08),
    ):
        subs.styles[name] = pysubs2.SSAStyle(
            fontname=FONT, fontsize=round(short * size), primarycolor=white, outlinecolor=black, bold=bold,
            outline=2, shadow=0, alignment=place, marginl=margin_side, marginr=margin_side,
            marginv=round(height * margin),
        )  # fmt: skip
    for card in cards:
        if card.end - card.start <= 0:
            continue
        start, end = round(card.start * 1000), round(card.end * 1000)
        subs.append(pysubs2.SSAEvent(start=start, end=end, style="Heading", text=ass_text(card.heading)))
        if card.body:
            subs.append(pysubs2.SSAEvent(start=start, end=end, style="Body", text=ass_text(card.body)))
    if header is not None:
        text = ass_text(f"{header.heading}\n{header.body}")
        subs.append(
            pysubs2.SSAEvent(start=round(header.start * 1000), end=round(header.end * 1000), style="Header", text=text)
        )
    for event in shifted(captions, offset):
        event.style = "Caption"
        subs.append(event)
    return subs.to_string("ass")
