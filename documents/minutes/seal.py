"""The organisation's seal image for its signature appearance: a red round seal on a transparent
background, the organisation's name around the rim and a star in the middle, drawn with Pillow."""

from __future__ import annotations

import math
from functools import lru_cache
from io import BytesIO

from PIL import Image, ImageDraw, ImageFont

from documents.minutes.typeface import font_file

RED = (218, 37, 29, 255)


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, r: float) -> None:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.4
        angle = -math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
    draw.polygon(points, fill=RED)


def _rim_text(image: Image.Image, text: str, radius: float, size: int) -> None:
    """Letters upright along the upper and lower rim, each rotated to follow the circle."""
    font = ImageFont.truetype(str(font_file("B")), size)
    cx = cy = image.width / 2
    widths = [font.getlength(ch) for ch in text]
    gap = size * 0.12
    total = sum(widths) + gap * (len(text) - 1)
    # Spread the text over most of the circle, starting at the bottom left and going clockwise.
    sweep = min(2 * math.pi * 0.86, total / radius * 1.25)
    scale = sweep / (total / radius)
    angle = math.pi / 2 + (2 * math.pi - sweep) / 2
    for ch, width in zip(text, widths, strict=True):
        step = (width + gap) / radius * scale
        mid = angle + step / 2
        glyph = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((size, size), ch, font=font, fill=RED, anchor="mm")
        rotated = glyph.rotate(-math.degrees(mid) - 90, resample=Image.Resampling.BICUBIC)
        x = cx + radius * math.cos(mid) - rotated.width / 2
        y = cy + radius * math.sin(mid) - rotated.height / 2
        image.alpha_composite(rotated, (round(x), round(y)))
        angle += step


@lru_cache(maxsize=8)
def seal_png(rim_text: str = "UBND TỈNH NGHỆ AN", size: int = 600) -> bytes:
    """The seal; its lower centre is left clear for the signature's organisation name and time."""
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    c = size / 2
    outer = size * 0.48
    for radius, width in ((outer, size // 40), (outer * 0.66, size // 110)):
        draw.ellipse((c - radius, c - radius, c + radius, c + radius), outline=RED, width=width)
    _rim_text(image, rim_text, outer * 0.83, int(size * 0.085))
    _star(draw, c, c - size * 0.12, size * 0.1)
    out = BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
