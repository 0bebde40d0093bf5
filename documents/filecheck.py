"""What may be attached to a document: PDF, DOCX, XLSX, PNG and JPEG, recognised by their content
(magic bytes, and a PDF must actually parse), within a size limit, under a plain file name.

Opening a file costs work its size does not show: a few KB of PDF can make every page draw the same
huge content stream, a ZIP can unpack to gigabytes, a PNG can declare 40000×40000 pixels. Each check
has a work budget (content bytes, unpacked bytes, pixels) and refuses what exceeds it before doing that
work; documents.inspection runs the checks in worker processes with a time limit on top."""

from __future__ import annotations

import io
import logging
import zipfile
import zlib
from dataclasses import dataclass

from core.errors import DomainError, Kind

MAX_FILE_BYTES = 50 * 1024 * 1024
# Page content streams read to extract a PDF's text, summed over pages (a stream shared by N pages counts N
# times, since each page is drawn on its own): about 20 s of pypdf's text extraction.
MAX_PDF_CONTENT_BYTES = 4 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # all members of a DOCX/XLSX package together
MAX_IMAGE_PIXELS = 50_000_000  # a 50-megapixel photo is far beyond any scan attached to a document
# Characters that reorder or hide text (Unicode bidi controls, zero-width marks): `report\u202egnp.pdf`
# shows as "reportfdp.png".
HIDDEN_CHARS = frozenset("\u061c\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060"
                         "\u2066\u2067\u2068\u2069\ufeff")
PDF, DOCX, XLSX = ("application/pdf",
                   "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PNG, JPEG = "image/png", "image/jpeg"
TYPE_OF_EXTENSION = {".pdf": PDF, ".docx": DOCX, ".xlsx": XLSX, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
LABEL = {PDF: "PDF", DOCX: "DOCX", XLSX: "XLSX", PNG: "PNG", JPEG: "JPEG"}

logging.getLogger("pypdf").setLevel(logging.ERROR)


class FileRejected(DomainError):
    """A file that may not be stored, with a message the uploader can act on."""


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    text: str  # extracted text (PDF only), for search


def check_name(name: str) -> str:
    if not name or not name.strip():
        raise FileRejected(Kind.bad_request, "Thiếu tên tệp / the file has no name")
    if any(sep in name for sep in ("/", "\\", "\x00")) or name in (".", "..") or name.startswith(".."):
        raise FileRejected(Kind.bad_request,
                           f"Tên tệp không được chứa đường dẫn / a file name may not contain a path: {name!r}")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise FileRejected(Kind.bad_request,
                           "Tên tệp chứa ký tự điều khiển / the file name contains control characters")
    hidden = sorted({f"U+{ord(ch):04X}" for ch in name if ch in HIDDEN_CHARS})
    if hidden:
        raise FileRejected(Kind.bad_request, "Tên tệp chứa ký tự ẩn hoặc đảo chiều chữ / the file name contains "
                                             f"characters that hide or reorder text ({', '.join(hidden)}): rename "
                                             "the file")
    if len(name) > 255:
        raise FileRejected(Kind.bad_request, "Tên tệp dài quá 255 ký tự / the file name is longer than 255 characters")
    return name.strip()


def expected_type(name: str) -> str:
    dot = name.rfind(".")
    ext = name[dot:].lower() if dot > 0 else ""
    kind = TYPE_OF_EXTENSION.get(ext)
    if kind is None:
        allowed = ", ".join(sorted(TYPE_OF_EXTENSION))
        raise FileRejected(Kind.unsupported_type,
                           f"Loại tệp không được chấp nhận / file type not accepted: {ext or name!r} "
                                f"(chấp nhận / accepted: {allowed})")
    return kind


def check_file(name: str, data: bytes, max_bytes: int | None = None) -> CheckedFile:
    name = check_name(name)
    max_bytes = max_bytes or MAX_FILE_BYTES
    if len(data) > max_bytes:
        raise FileRejected(Kind.too_large, f"Tệp quá lớn / file too large: {len(data)} bytes, "
                                f"tối đa / at most {max_bytes} bytes")
    if not data:
        raise FileRejected(Kind.invalid, "Tệp rỗng / the file is empty")
    kind = expected_type(name)
    text = ""
    if kind == PDF:
        text = _pdf_text(name, data)
    elif kind in (DOCX, XLSX):
        _office(name, data, kind)
    else:
        _image(name, data, kind)
    return CheckedFile(name, kind, text)


def _not_a(name: str, kind: str, why: str) -> FileRejected:
    return FileRejected(Kind.invalid,
                        f"Tệp {name!r} không phải là {LABEL[kind]} hợp lệ / is not a valid {LABEL[kind]}: {why}")


def _pdf_text(name: str, data: bytes) -> str:
    if not data.startswith(b"%PDF-"):
        raise _not_a(name, PDF, "missing %PDF- header")
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = reader.pages
        if len(pages) == 0:
            raise _not_a(name, PDF, "no pages")
        if len(pages) > MAX_PDF_PAGES:
            raise FileRejected(
                Kind.invalid, f"Tệp {name!r} có {len(pages)} trang, tối đa {MAX_PDF_PAGES} / the PDF has "
                                    f"{len(pages)} pages, at most {MAX_PDF_PAGES} are accepted")
        work = 0
        for page in pages:  # decoded once per stream by pypdf; measured before any text is extracted
            work += _content_bytes(page)
            if work > MAX_PDF_CONTENT_BYTES:
                raise FileRejected(Kind.invalid, f"Tệp {name!r} quá phức tạp để kiểm tra: nội dung các trang vượt "
                                        f"{MAX_PDF_CONTENT_BYTES // (1024 * 1024)} MB / the PDF is too complex to "
                                        f"check: its pages draw more than {MAX_PDF_CONTENT_BYTES // (1024 * 1024)} MB "
                                        "of content (pages repeating a huge content stream?)")
        return "\n".join(page.extract_text() or "" for page in pages)
    except FileRejected:
        raise
    except RecursionError as exc:
        raise _not_a(name, PDF, "objects nested too deeply") from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise _not_a(name, PDF, str(exc)[:200]) from exc


def _content_bytes(page) -> int:  # type: ignore[no-untyped-def]
    contents = page.get("/Contents")
    if contents is None:
        return 0
    contents = contents.get_object()
    streams = contents if isinstance(contents, list) else [contents]
    total = 0
    for stream in streams:
        stream = stream.get_object()
        get_data = getattr(stream, "get_data", None)
        total += len(get_data()) if get_data is not None else 0
    return total


def _office(name: str, data: bytes, kind: str) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise _not_a(name, kind, "not a ZIP package")
    part = "word/document.xml" if kind == DOCX else "xl/workbook.xml"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            if "[Content_Types].xml" not in names or part not in names:
                raise _not_a(name, kind, f"the package has no {part}")
            _unpack_within_budget(name, archive, members)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, EOFError, OSError, RuntimeError,
            ValueError, zlib.error) as exc:
        raise _not_a(name, kind, str(exc)[:200]) from exc


def _unpack_within_budget(name: str, archive: zipfile.ZipFile, members: list[zipfile.ZipInfo]) -> None:
    """Unpack every member, counting bytes (the sizes a ZIP declares can lie), and stop at the budget."""
    def too_big() -> FileRejected:
        mb = MAX_UNPACKED_BYTES // (1024 * 1024)
        return FileRejected(
            Kind.invalid, f"Tệp {name!r} giải nén ra hơn {mb} MB (bom ZIP?) / the package unpacks to more "
                                 f"than {mb} MB (a ZIP bomb?)")

    if sum(m.file_size for m in members) > MAX_UNPACKED_BYTES:
        raise too_big()
    total = 0
    for member in members:
        with archive.open(member) as stream:
            while chunk := stream.read(1024 * 1024):
                total += len(chunk)
                if total > MAX_UNPACKED_BYTES:
                    raise too_big()


def _image(name: str, data: bytes, kind: str) -> None:
    magic = b"\x89PNG\r\n\x1a\n" if kind == PNG else b"\xff\xd8\xff"
    if not data.startswith(magic):
        raise _not_a(name, kind, "wrong signature bytes")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
            if width * height > MAX_IMAGE_PIXELS:
                raise FileRejected(Kind.invalid, f"Ảnh {name!r} {width}×{height} điểm ảnh quá lớn / the image declares "
                                        f"{width}×{height} pixels, more than {MAX_IMAGE_PIXELS // 1_000_000} "
                                        "megapixels")
            image.verify()
    except FileRejected:
        raise
    except Image.DecompressionBombError as exc:
        raise FileRejected(Kind.invalid, f"Ảnh {name!r} quá lớn / the image declares more than "
                                f"{MAX_IMAGE_PIXELS // 1_000_000} megapixels") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _not_a(name, kind, str(exc)[:200]) from exc
