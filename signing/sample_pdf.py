"""A small two-page PDF made with pyHanko's writer, for benchmarks and tests of signing."""

from __future__ import annotations

from io import BytesIO

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.writer import PageObject, PdfFileWriter


def _escape(text: str) -> bytes:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1")


def two_page_pdf(title: str = "Bien ban hop") -> bytes:
    writer = PdfFileWriter()
    font = writer.add_object(generic.DictionaryObject({
        generic.pdf_name("/Type"): generic.pdf_name("/Font"),
        generic.pdf_name("/Subtype"): generic.pdf_name("/Type1"),
        generic.pdf_name("/BaseFont"): generic.pdf_name("/Times-Roman"),
        generic.pdf_name("/Encoding"): generic.pdf_name("/WinAnsiEncoding"),
    }))
    resources = generic.DictionaryObject({
        generic.pdf_name("/Font"): generic.DictionaryObject({generic.pdf_name("/F1"): font})
    })
    for number in (1, 2):
        lines = [f"{title} - trang {number}/2"] + [f"Noi dung dong {i}" for i in range(1, 30)]
        ops = [b"BT /F1 12 Tf 72 770 Td 16 TL"] + [b"(" + _escape(line) + b") '" for line in lines] + [b"ET"]
        stream = writer.add_object(generic.StreamObject(stream_data=b"\n".join(ops)))
        writer.insert_page(PageObject(contents=stream, media_box=(0, 0, 595, 842), resources=resources))
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
