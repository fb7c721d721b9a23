"""Text on screen and beside the file: ASS for libass (cards, burned captions), SRT/WebVTT tracks.

User text never enters an ffmpeg filtergraph: it goes into subtitle files that ffmpeg reads
from a working folder under plain names, so quotes, colons, brackets, percent signs and
backslashes in titles or cues cannot break or inject into the graph.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pysubs2

from psa_pipeline.media.subtitles import TimedCue

FONT = "Noto Sans"  # Debian fonts-noto-core: full Latin coverage, installed by the Makefile


@dataclass(frozen=True)
class Card:
    """Text shown full-frame for a while: the title card during the intro, the end card at the end."""

    start: float
    end: float
    heading: str
    body: str


def ass_text(text: str) -> str:
    """Plain text as an ASS event: braces and backslashes shown literally, newlines as line breaks."""
    # A backslash followed by N, n or h is an ASS escape and `{` opens an override block; a
    # zero-width joiner after each backslash and full-width braces keep the user's text inert.
    cleaned = text.replace("\\", "\\\u2060").replace("{", "\uff5b").replace("}", "\uff5d")
    return "\\N".join(line.strip() for line in cleaned.splitlines())


def shifted(cues: Sequence[TimedCue], offset: float) -> pysubs2.SSAFile:
    subs = pysubs2.SSAFile()
    for cue in cues:
        subs.append(
            pysubs2.SSAEvent(
                start=round((cue.start + offset) * 1000), end=round((cue.end + offset) * 1000), text=ass_text(cue.text)
            )
        )
    return subs


def sidecar(cues: Sequence[TimedCue], offset: float, fmt: str) -> str:
    """SRT or WebVTT text with times moved to where the content sits after assembly."""
    return shifted(cues, offset).to_string(fmt)


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
    subs.styles["Heading"] = pysubs2.SSAStyle(
        fontname=FONT, fontsize=round(short * 0.075), primarycolor=white, outlinecolor=black, bold=True,
        outline=2, shadow=0, alignment=pysubs2.Alignment.MIDDLE_CENTER,
        marginl=margin_side, marginr=margin_side, marginv=round(height * 0.1),
    )  # fmt: skip
    subs.styles["Body"] = pysubs2.SSAStyle(
        fontname=FONT, fontsize=round(short * 0.05), primarycolor=white, outlinecolor=black, bold=False,
        outline=2, shadow=0, alignment=pysubs2.Alignment.BOTTOM_CENTER,
        marginl=margin_side, marginr=margin_side, marginv=round(height * (0.3 if vertical else 0.22)),
    )  # fmt: skip
    subs.styles["Header"] = pysubs2.SSAStyle(
        fontname=FONT, fontsize=round(short * 0.045), primarycolor=white, outlinecolor=black, bold=True,
        outline=2, shadow=0, alignment=pysubs2.Alignment.TOP_CENTER,
        marginl=margin_side, marginr=margin_side, marginv=round(height * 0.08),
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
