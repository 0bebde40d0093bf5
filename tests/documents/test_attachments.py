"""Attachments: accepted only when the content really is a PDF, DOCX, XLSX, PNG or JPEG, within the
size limit, under a plain file name; refusals are 4xx and leave no record; originals are kept unchanged
in the content-addressed store."""

from __future__ import annotations

import hashlib
import io
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from core.db import session_scope
from core.errors import Kind
from documents import filecheck
from documents.models import Attachment, Blob
from tests.documents.conftest import pdf

INCOMING = {"doc_type": "CV", "code": "77/SXD-QLCL", "abstract": "V/v kiểm tra chất lượng công trình trường học",
            "issuer_name": "Sở Xây dựng"}


@pytest.fixture
def doc_id(client, auth_headers) -> int:  # type: ignore[no-untyped-def]
    return client.post("/api/documents/incoming", json=INCOMING, headers=auth_headers(client, "vanthu")).json()["id"]


def _upload(client, headers, doc_id, name, data, kind="main"):  # type: ignore[no-untyped-def]
    return client.post(f"/api/documents/{doc_id}/attachments", headers=headers,
                       files={"file": (name, data, "application/octet-stream")}, data={"kind": kind})


def _docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 16, 46)).save(buffer, format="PNG")
    return buffer.getvalue()


def _counts(writer) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    with session_scope(writer) as session:
        return (session.execute(select(func.count()).select_from(Attachment)).scalar_one(),
                session.execute(select(func.count()).select_from(Blob)).scalar_one())


def test_bad_files_are_refused_and_leave_no_record(client, auth_headers, doc_id, writer, store,  # type: ignore[no-untyped-def]
                                                   monkeypatch) -> None:
    clerk = auth_headers(client, "vanthu")
    before = _counts(writer)
    cases = [
        ("not-really.pdf", b"Xin chao, day khong phai PDF", 422, "PDF"),
        ("broken.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage", 422, "PDF"),
        ("../../etc/passwd.pdf", pdf("x"), 400, "path"),
        ("thu-muc/van-ban.pdf", pdf("x"), 400, "path"),
        ("virus.exe", b"MZ\x90\x00", 415, "exe"),
        ("fake.docx", b"PK\x03\x04not a zip at all", 422, "DOCX"),
        ("sheet.xlsx", _docx(), 422, "XLSX"),
        ("photo.png", b"\x89PNG\r\n\x1a\nnot an image", 422, "PNG"),
        ("empty.pdf", b"", 422, "empty"),
    ]
    answered = set()
    for name, data, status, words in cases:
        response = _upload(client, clerk, doc_id, name, data)
        assert response.status_code == status, (name, response.text)
        assert words.lower() in response.json()["detail"].lower(), (name, response.json())
        answered.add(status)
    monkeypatch.setattr(filecheck, "MAX_FILE_BYTES", 2048)
    too_big = _upload(client, clerk, doc_id, "big.pdf", pdf(*["Dong van ban dai " * 8] * 40))
    assert too_big.status_code == 413
    answered.add(413)
    # Every refusal the route gave is one its OpenAPI operation documents (schemathesis checks the same).
    schema = client.app.openapi()
    for path, method in (("/api/documents/{document_id}/attachments", "post"),
                         ("/api/documents/{document_id}/sign", "post")):
        documented = {int(s) for s in schema["paths"][path][method]["responses"]}
        assert answered <= documented, (path, answered - documented)
        assert not any(key.startswith("x-giaoban") for key in schema["paths"][path][method])
    assert _counts(writer) == before
    assert not any(store.root.rglob("*")) or all(p.is_dir() for p in store.root.rglob("*"))


def test_good_files_are_stored_by_content_and_unchanged(client, auth_headers, doc_id, writer, store) -> None:  # type: ignore[no-untyped-def]
    clerk = auth_headers(client, "vanthu")
    original = pdf("Ke hoach kiem tra chat luong cong trinh truong hoc nam 2026")
    first = _upload(client, clerk, doc_id, "kế-hoạch kiểm tra.pdf", original)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["sha256"] == hashlib.sha256(original).hexdigest() and body["size"] == len(original)
    assert store.path_of(body["sha256"]).read_bytes() == original
    # The same bytes under another name: one stored file, two attachments.
    assert _upload(client, clerk, doc_id, "ban-sao.pdf", original, kind="attachment").status_code == 201
    assert _upload(client, clerk, doc_id, "phu-luc.docx", _docx(), kind="attachment").status_code == 201
    assert _upload(client, clerk, doc_id, "anh-hien-truong.png", _png(), kind="attachment").status_code == 201
    with session_scope(writer) as session:
        assert session.execute(select(func.count()).select_from(Blob)).scalar_one() == 3
    download = client.get(body["url"], headers=clerk)
    assert download.status_code == 200 and download.content == original
    assert download.headers["content-type"] == "application/pdf"
    # Signed files only come with the sign action.
    assert _upload(client, clerk, doc_id, "signed.pdf", original, kind="signed").status_code == 422


def test_names_with_paths_are_refused_by_the_check_itself() -> None:
    # The multipart parser already drops Windows-style directories; the check refuses them too.
    for name in ("C:\\Users\\vanthu\\a.pdf", "..", "a\x00b.pdf", "dir/a.pdf"):
        with pytest.raises(filecheck.FileRejected) as refused:
            filecheck.check_name(name)
        assert refused.value.kind == Kind.bad_request


def test_upload_needs_a_role_that_handles_documents(client, auth_headers, doc_id) -> None:  # type: ignore[no-untyped-def]
    officer = auth_headers(client, "motcua")
    assert _upload(client, officer, doc_id, "a.pdf", pdf("x")).status_code == 403
