"""Podcast artwork: a square PNG within the directories' limits (Apple: 1400 to 3000 pixels), drawn with Pillow.

Drawn from the agency's name (and the site's title) in the site's colours, deterministically, so a
regeneration writes the same bytes and leaves the file alone.
"""

from __future__ import annotations

import io
import textwrap

from PIL import Image, ImageDraw, ImageFont

SIZE = 1400
BACKGROUND = (139, 0, 0)
INK = (255, 255, 255)


def artwork(title: str, subtitle: str) -> bytes:
    image = Image.new("RGB", (SIZE, SIZE), BACKGROUND)
    draw = ImageDraw.Draw(image)
    big = ImageFont.load_default(size=110)
    small = ImageFont.load_default(size=64)
    y = 300
    for line in textwrap.wrap(title, 20)[:5]:
        draw.text((SIZE // 2, y), line, font=big, fill=INK, anchor="mt")
        y += 140
    y += 60
    for line in textwrap.wrap(subtitle, 34)[:4]:
        draw.text((SIZE // 2, y), line, font=small, fill=INK, anchor="mt")
        y += 84
    draw.text((SIZE // 2, SIZE - 200), "www.lapor.go.id · SMS 1708", font=small, fill=INK, anchor="mt")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
