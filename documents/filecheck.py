"""What may be attached to a document: PDF, DOCX, XLSX, PNG and JPEG, recognised by their content
(magic bytes, and a PDF must actually parse), within a size limit, under a plain file name."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass

from core.errors import DomainError, Kind

MAX_FILE_BYTES = 50 * 1024 * 1024
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
    if any(ord(ch) < 32 for ch in name):
        raise FileRejected(Kind.bad_request,
                           "Tên tệp chứa ký tự điều khiển / the file name contains control characters")
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
        chunks: list[str] = []
        for page in pages[:200]:
            chunks.append(page.extract_text() or "")
        return "\n".join(chunks)
    except FileRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, OSError) as exc:
        raise _not_a(name, PDF, str(exc)[:200]) from exc


def _office(name: str, data: bytes, kind: str) -> None:
    if not data.startswith(b"PK\x03\x04"):
        raise _not_a(name, kind, "not a ZIP package")
    part = "word/document.xml" if kind == DOCX else "xl/workbook.xml"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile as exc:
        raise _not_a(name, kind, str(exc)) from exc
    if "[Content_Types].xml" not in names or part not in names:
        raise _not_a(name, kind, f"the package has no {part}")


def _image(name: str, data: bytes, kind: str) -> None:
    magic = b"\x89PNG\r\n\x1a\n" if kind == PNG else b"\xff\xd8\xff"
    if not data.startswith(magic):
        raise _not_a(name, kind, "wrong signature bytes")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _not_a(name, kind, str(exc)[:200]) from exc
