"""Hostile files made on the spot (nothing binary in the repository): small to send, costly to open."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib


def shared_stream_pdf(pages: int = 40, ops: int = 200_000) -> bytes:
    """Every page draws the same compressed content stream: ~10 KB that expands to `pages` × the stream."""
    stream = zlib.compress(b"BT /F1 1 Tf " + b"(a) Tj " * ops + b"ET", 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
               b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream"]
    font = b"<< /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >>"
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R /Resources " + font + b" >>"
                for _ in range(pages)]
    return _pdf(objects)


def nested_pdf(depth: int = 50_000) -> bytes:
    """A catalog holding arrays nested `depth` deep: a recursive reader runs out of stack."""
    return _pdf([b"<< /Type /Catalog /Pages 2 0 R /X " + b"[" * depth + b"]" * depth + b" >>",
                 b"<< /Type /Pages /Kids [] /Count 0 >>"])


def _pdf(objects: list[bytes]) -> bytes:
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def png_bomb(width: int = 40_000, height: int = 40_000) -> bytes:
    """A tiny PNG declaring a huge canvas."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


def zip_bomb_docx(unpacked_mb: int = 120) -> bytes:
    """A DOCX whose one extra part unpacks to `unpacked_mb` MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
        with archive.open("word/media/zeros.bin", "w", force_zip64=True) as part:
            block = bytes(1024 * 1024)
            for _ in range(unpacked_mb):
                part.write(block)
    return buffer.getvalue()
