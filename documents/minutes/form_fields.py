"""The form fields the unsigned minutes carry: three empty signature fields (secretary, chair, the
organisation's seal) and a read-only text field for the number, filled by the clerk when issuing.

Everything that later signatures touch exists before the first signature, so that each later
revision only fills fields: validators then classify the changes as form filling, which an approval
signature permits, rather than as changes to the signed pages."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields

from documents.minutes.layout import Box

SIGNATURE_FIELDS = {"secretary": "ThuKy", "chair": "ChuToa", "organisation": "DauCoQuan"}
NUMBER_FIELD = "SoVanBan"
_FONT_KEY = "/TiRo"
_SIZE = 13
# Times-Roman digits are all half an em wide (standard 14 font metrics).
_DIGIT_EM = 0.5


def _times_font(writer: IncrementalPdfFileWriter) -> generic.IndirectObject:
    return writer.add_object(generic.DictionaryObject({
        pdf_name("/Type"): pdf_name("/Font"), pdf_name("/Subtype"): pdf_name("/Type1"),
        pdf_name("/BaseFont"): pdf_name("/Times-Roman"), pdf_name("/Encoding"): pdf_name("/WinAnsiEncoding"),
    }))


def _appearance(writer: IncrementalPdfFileWriter, width: float, height: float, text: str,
                font: generic.IndirectObject) -> generic.IndirectObject:
    ops = b"/Tx BMC EMC"
    if text:
        text_w = len(text) * _SIZE * _DIGIT_EM
        x = max(0.0, width - text_w)
        y = (height - _SIZE * 0.7) / 2
        ops = (f"/Tx BMC q BT {_FONT_KEY} {_SIZE} Tf 0 g {x:.2f} {y:.2f} Td ({text}) Tj ET Q EMC").encode()
    stream = generic.StreamObject({
        pdf_name("/Type"): pdf_name("/XObject"), pdf_name("/Subtype"): pdf_name("/Form"),
        pdf_name("/BBox"): generic.ArrayObject([generic.FloatObject(0), generic.FloatObject(0),
                                                generic.FloatObject(width), generic.FloatObject(height)]),
        pdf_name("/Resources"): generic.DictionaryObject({
            pdf_name("/Font"): generic.DictionaryObject({pdf_name(_FONT_KEY): font})}),
    }, stream_data=ops)
    return writer.add_object(stream)


def _add_number_field(writer: IncrementalPdfFileWriter, box: Box) -> None:
    page_ref = writer.find_page_for_modification(box.page)[0]
    page = page_ref.get_object()
    font = _times_font(writer)
    width, height = box.x1 - box.x0, box.y1 - box.y0
    field = generic.DictionaryObject({
        pdf_name("/FT"): pdf_name("/Tx"), pdf_name("/T"): pdf_string(NUMBER_FIELD),
        pdf_name("/Ff"): generic.NumberObject(1),  # read-only for readers; the clerk's issue step fills it
        pdf_name("/V"): pdf_string(""), pdf_name("/Q"): generic.NumberObject(2),
        pdf_name("/DA"): pdf_string(f"{_FONT_KEY} {_SIZE} Tf 0 g"),
        pdf_name("/Type"): pdf_name("/Annot"), pdf_name("/Subtype"): pdf_name("/Widget"),
        pdf_name("/F"): generic.NumberObject(4), pdf_name("/P"): page_ref,
        pdf_name("/Rect"): generic.ArrayObject(generic.FloatObject(v) for v in (box.x0, box.y0, box.x1, box.y1)),
        pdf_name("/AP"): generic.DictionaryObject({pdf_name("/N"): _appearance(writer, width, height, "", font)}),
    })
    ref = writer.add_object(field)
    annots = page.get("/Annots")
    if annots is None:
        page[pdf_name("/Annots")] = generic.ArrayObject([ref])
        writer.update_container(page)
    else:
        annots.append(ref)
        writer.update_container(annots)
    form = writer.root["/AcroForm"]
    form["/Fields"].append(ref)
    writer.update_container(form["/Fields"])
    resources = form.setdefault(pdf_name("/DR"), generic.DictionaryObject())
    resources.setdefault(pdf_name("/Font"), generic.DictionaryObject())[pdf_name(_FONT_KEY)] = font
    writer.update_container(form)


class _DatedWriter(IncrementalPdfFileWriter):
    """Writes `modified` as the revision's ModDate instead of the wall clock and a revision id derived
    from the content instead of random bytes, so one version of a draft always gives the same bytes (the
    hash a person authorises is then the hash of what gets signed). Overrides two pyHanko internals;
    tests/documents/minutes/test_minutes_flow.py checks the bytes stay the same."""

    def __init__(self, stream: BytesIO, modified: datetime) -> None:
        super().__init__(stream)
        self.modified = modified if modified.tzinfo else modified.replace(tzinfo=UTC)

    @classmethod
    def _handle_id(cls, prev):  # type: ignore[no-untyped-def]
        # The second /ID part names this revision: derived from the first (fpdf's hash of the content and
        # its date) instead of pyHanko's random bytes.
        id1, _random = super()._handle_id(prev)
        revision = hashlib.sha256(bytes(id1) + b"giaoban minutes fields").digest()[:16]
        return generic.ArrayObject([id1, generic.ByteStringObject(revision)])

    def _update_meta(self) -> None:
        super()._update_meta()
        if self._info is not None:
            self._info.get_object()[pdf_name("/ModDate")] = generic.pdf_date(self.modified)


def with_fields(pdf: bytes, boxes: dict[str, Box], modified: datetime | None = None) -> bytes:
    writer = _DatedWriter(BytesIO(pdf), modified) if modified is not None else IncrementalPdfFileWriter(BytesIO(pdf))
    for key, name in SIGNATURE_FIELDS.items():
        box = boxes[key]
        fields.append_signature_field(writer, fields.SigFieldSpec(name, on_page=box.page, box=box.as_tuple()))
    _add_number_field(writer, boxes["number"])
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def fill_number(writer: IncrementalPdfFileWriter, number: str) -> None:
    """Write the number into its field in `writer`'s pending revision (digits only)."""
    if not number.isdigit():
        raise ValueError("the number field takes digits only")
    form = writer.root["/AcroForm"]
    for ref in form["/Fields"]:
        field = ref.get_object()
        if field.get("/T") == NUMBER_FIELD:
            rect = [float(v) for v in field["/Rect"]]
            font = field["/AP"]["/N"].get_object()["/Resources"]["/Font"].raw_get(_FONT_KEY)
            field[pdf_name("/V")] = pdf_string(number)
            field[pdf_name("/AP")] = generic.DictionaryObject({
                pdf_name("/N"): _appearance(writer, rect[2] - rect[0], rect[3] - rect[1], number, font)})
            writer.update_container(field)
            return
    raise ValueError(f"the PDF has no {NUMBER_FIELD} field")
