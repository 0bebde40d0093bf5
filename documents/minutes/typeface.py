"""The Times-New-Roman-compatible typeface carried in the repository (Liberation Serif 2, SIL OFL 1.1;
see fonts/LICENSE), which has every Vietnamese glyph; Debian's older Liberation 1.x does not."""

from __future__ import annotations

from pathlib import Path

FONT_DIR = Path(__file__).parent / "fonts"
FAMILY = "LiberationSerif"
STYLES = {"": "Regular", "B": "Bold", "BI": "BoldItalic"}


def font_file(style: str = "") -> Path:
    return FONT_DIR / f"{FAMILY}-{STYLES[style]}.ttf"
