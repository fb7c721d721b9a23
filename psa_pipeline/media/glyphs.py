"""Can the fonts on this machine draw a piece of text burned into the picture?

libass draws a character it has no glyph for as an empty box (many emoji, flags, rare scripts);
on a burned caption or card that box is published. fontconfig knows which installed font
covers which character, so validate can refuse such text before anything is rendered.
"""

from __future__ import annotations

from functools import cache

from psa_pipeline.core.problems import MediaError
from psa_pipeline.media.runner import capture

# Latin, punctuation and symbols up to here are in the caption font (Noto Sans) itself.
ALWAYS_COVERED = 0x2000


@cache
def _covered(char: str) -> bool:
    try:
        result = capture(["fc-list", f":charset={ord(char):x}", "family"], timeout=30)
    except MediaError:  # no fontconfig to ask (or it hung): do not refuse on a guess
        return True
    return bool(result.stdout.strip())


def missing_glyphs(text: str) -> list[str]:
    """Characters of `text` that no installed font can draw, in order of first appearance."""
    seen = dict.fromkeys(ch for ch in text if ord(ch) >= ALWAYS_COVERED and ch.isprintable())
    return [ch for ch in seen if not _covered(ch)]
