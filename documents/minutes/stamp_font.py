"""The font engine for signature appearances. pyHanko writes a TrueType font's glyph widths in the
font's own units into the PDF's /W array, which PDF reads as thousandths of an em: Liberation Serif
(2048 units per em) then renders with every glyph spaced twice as wide. The stamp font is therefore
rescaled to 1000 units per em in memory before pyHanko sees it; it is renamed as the SIL OFL asks of a
modified font (the file in fonts/ stays unmodified)."""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO

from fontTools.ttLib import TTFont
from fontTools.ttLib.scaleUpem import scale_upem
from pyhanko.pdf_utils.font.opentype import GlyphAccumulator, GlyphAccumulatorFactory

from documents.minutes.typeface import font_file

RENAMED = "GiaobanStampSerif"


@lru_cache(maxsize=4)
def _scaled(style: str) -> bytes:
    font = TTFont(str(font_file(style)))
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    names = font["name"]
    suffix = {"": "Regular", "B": "Bold"}.get(style, style)
    for record in list(names.names):
        if record.nameID in (1, 16):
            names.setName(RENAMED, record.nameID, record.platformID, record.platEncID, record.langID)
        elif record.nameID in (3, 4, 6):
            value = f"{RENAMED}-{suffix}" if record.nameID == 6 else f"{RENAMED} {suffix}"
            names.setName(value, record.nameID, record.platformID, record.platEncID, record.langID)
    out = BytesIO()
    font.save(out)
    return out.getvalue()


class StampFont(GlyphAccumulatorFactory):
    """Like pyHanko's factory, but reads the rescaled font from memory."""

    def __init__(self, style: str = "", font_size: int = 8) -> None:
        super().__init__(font_file=str(font_file(style)), font_size=font_size)
        self._style = style

    def create_font_engine(self, writer, obj_stream=None) -> GlyphAccumulator:  # type: ignore[no-untyped-def]
        if obj_stream is None and writer.stream_xrefs and self.create_objstream_if_needed:
            obj_stream = writer.prepare_object_stream()
        return GlyphAccumulator(writer=writer, font_handle=BytesIO(_scaled(self._style)), font_size=self.font_size,
                                ot_script_tag=self.ot_script_tag, ot_language_tag=self.ot_language_tag,
                                writing_direction=self.writing_direction, bcp47_lang_code=self.bcp47_lang_code,
                                obj_stream=obj_stream)
