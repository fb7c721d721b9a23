"""A cue and its text, kept as the author wrote it, and that text written for each output.

Cue text is text: braces, backslashes, `&`, `<3` and `-->` are characters to show, not markup.
The only markup recognised is what SRT editors mean as markup: `<i> <b> <u>` (kept where the
output can show it), `<font ...>` (dropped: no output has colours), and a leading `{\\anN}`
(the cue's position, held in `TimedCue.align`, not in the text). Each writer escapes the rest
its own way, so the words reach every sidecar, soft track and burned picture unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from psa_pipeline.core.problems import Location

STYLE_TAG = re.compile(r"</?([ibu])>|</?font(?:\s[^<>]*)?>", re.IGNORECASE)
ALIGN_PREFIX = re.compile(r"^\{\\an([1-9])\}")
# U+2060 WORD JOINER: invisible, unbreakable; put after a backslash it stops ASS (libass, and
# ffmpeg's own subtitle conversion) reading `\N`, `\n` or `\h` as a line break or hard space.
JOINER = "\u2060"
TOP = frozenset({7, 8, 9})


@dataclass(frozen=True)
class TimedCue:
    start: float
    end: float
    lines: tuple[str, ...]
    location: Location
    align: int | None = None  # ASS numpad position from `{\anN}` or a WebVTT `line:` setting
    number: int = 0  # 1-based position in its file or list, for messages

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def plain(self) -> str:
        """The words alone, as a reader sees them (for line lengths and reading speed)."""
        return STYLE_TAG.sub("", self.text)

    @property
    def empty(self) -> bool:
        return not self.plain.strip()


def split_align(lines: list[str]) -> tuple[list[str], int | None]:
    """Take a leading `{\\anN}` off the first line: it places the cue, it is not text."""
    if lines and (match := ALIGN_PREFIX.match(lines[0])):
        rest = lines[0][match.end() :]
        return ([rest] if rest else []) + lines[1:], int(match.group(1))
    return lines, None


def _pieces(text: str) -> list[tuple[str, str]]:
    """("tag", name) and ("text", chars) pieces; name is i/b/u, "/i" etc., or "font"."""
    pieces: list[tuple[str, str]] = []
    at = 0
    for match in STYLE_TAG.finditer(text):
        if match.start() > at:
            pieces.append(("text", text[at : match.start()]))
        name = match.group(1)
        closing = match.group(0).startswith("</")
        pieces.append(("tag", f"{'/' if closing else ''}{name.lower()}" if name else "font"))
        at = match.end()
    if at < len(text):
        pieces.append(("text", text[at:]))
    return pieces


def srt_text(cue: TimedCue) -> str:
    """SRT cue text: the author's lines as written, with the position tag back in front."""
    prefix = f"{{\\an{cue.align}}}" if cue.align and cue.align != 2 else ""
    return prefix + cue.text


def soft_text(cue: TimedCue) -> str:
    """SRT text for ffmpeg to turn into a soft (mov_text) track: its escapes and look-alike tags made inert.

    ffmpeg reads `\\N` as a line break, `{\\i1}` as italics and `<b dan c>` as bold; a joiner
    after every backslash, and after a `<` or `{` that would open a tag, keeps them characters.
    """
    out = []
    for kind, value in _pieces(cue.text):
        if kind == "tag":
            out.append("" if "font" in value else f"<{value}>")
        else:
            inert = re.sub(r"(?<=[<{])(?=[A-Za-z/\\])", JOINER, value).replace("\\", "\\" + JOINER)
            out.append(inert)
    return "".join(out)


_VTT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def vtt_text(cue: TimedCue) -> str:
    """WebVTT cue text: `&`, `<`, `>` as entities (so `-->` cannot end the cue), i/b/u kept."""
    out = []
    for kind, value in _pieces(cue.text):
        if kind == "text":
            out.append(value.translate(_VTT_ESCAPES))
        elif value != "font" and value != "/font":
            out.append(f"<{value}>")
    return "".join(out)


def vtt_settings(cue: TimedCue) -> str:
    """Cue settings that carry the position: top or middle rows of the numpad."""
    if cue.align in TOP:
        return " line:0"
    if cue.align in (4, 5, 6):
        return " line:50%"
    return ""


def ass_text(text: str) -> str:
    """Text as an ASS event for libass: braces and backslashes shown, i/b/u as overrides."""
    out = []
    for kind, value in _pieces(text):
        if kind == "tag":
            if value in ("i", "b", "u", "/i", "/b", "/u"):
                out.append(f"{{\\{value.strip('/')}{0 if value.startswith('/') else 1}}}")
            continue
        # libass shows `\{` and `\}` as braces; a joiner after any other backslash keeps it literal.
        escaped = value.replace("\\", "\\" + JOINER).replace("{", "\\{").replace("}", "\\}")
        out.append(escaped)
    return "\\N".join(line.strip() for line in "".join(out).split("\n"))
