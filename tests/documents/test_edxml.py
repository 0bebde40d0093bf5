"""edXML (QCVN 102:2016) exchange: an issued document exported as a package and imported as an incoming
document elsewhere keeps its fields and files; status messages go back as the document moves; packages
that are malformed, try XXE, break the field limits or name bad unit codes are refused with a clear
message and leave nothing behind."""

from __future__ import annotations

import base64
from datetime import date

import pytest
from sqlalchemy import func, select

from core.db import session_scope
from core.people import Role
from documents.edxml import NS, DocumentPackage, EdxmlError, FilePart, Organ, build_document, parse_document
from documents.models import Document, Exchange
from tests.documents.conftest import pdf, unit_by_abbr

XML = {"Content-Type": "application/xml"}


def _package(**changes) -> bytes:  # type: ignore[no-untyped-def]
    values = dict(sender=Organ("000.00.00.G22", "Văn phòng Chính phủ"), receivers=[Organ("000.00.00.H41")],
                  code_number="7816", code_notation="VPCP-TTĐT", promulgation_date=date(2026, 9, 30),
                  subject="V/v triển khai hệ thống thông tin báo cáo quốc gia", type_abbr="CV",
                  signer_position="Chủ nhiệm", signer_name="Trần Văn Sơn", priority=1, due_date=date(2026, 10, 15),
                  files=[FilePart("7816-VPCP.pdf", "application/pdf", pdf("Trien khai he thong bao cao"))])
    values.update(changes)
    return build_document(DocumentPackage(**values))


def _documents(writer) -> int:  # type: ignore[no-untyped-def]
    with session_scope(writer) as session:
        return session.execute(select(func.count()).select_from(Document)).scalar_one()


def test_import_a_package_and_answer_with_status_messages(client, auth_headers, writer) -> None:  # type: ignore[no-untyped-def]
    clerk, chair = auth_headers(client, "vanthu"), auth_headers(client, "chutoa")
    data = _package()
    imported = client.post("/api/documents/edxml", content=data, headers={**clerk, **XML})
    assert imported.status_code == 201, imported.text
    doc = imported.json()
    assert doc["code"] == "7816/VPCP-TTĐT" and doc["issuer_code"] == "000.00.00.G22"
    assert doc["urgency"] == "khan" and doc["deadline"] == "2026-10-15" and doc["state"] == "received"
    assert doc["exchange_id"] == "000.00.00.G22,2026/09/30,7816/VPCP-TTĐT"
    again = client.post("/api/documents/edxml", content=data, headers={**clerk, **XML})
    assert again.status_code == 409  # the same package twice is one document
    detail = client.get(f"/api/documents/{doc['id']}", headers=clerk).json()
    assert [a["file_name"] for a in detail["attachments"]] == ["7816-VPCP.pdf"]
    for action, headers in (("register", clerk), ("submit", clerk)):
        assert client.post(f"/api/documents/{doc['id']}/actions/{action}", json={}, headers=headers).status_code == 200
    with session_scope(writer) as session:
        vp = unit_by_abbr(session, "VP").id
    client.post(f"/api/documents/{doc['id']}/actions/direct", json={"direction": {"lead_unit_id": vp}},
                headers=chair)
    with session_scope(writer) as session:
        sent = session.execute(select(Exchange).where(Exchange.document_id == doc["id"], Exchange.kind == "status")
                               .order_by(Exchange.id)).scalars().all()
        assert [e.status_code for e in sent] == ["01", "03", "04"]
        assert all(e.peer_code == "000.00.00.G22" and not e.delivered for e in sent)  # outbox to the sender


def test_round_trip_between_units_inside_the_system(client, auth_headers, add_person, writer) -> None:  # type: ignore[no-untyped-def]
    spec, sec, chair, clerk = (auth_headers(client, n) for n in ("chuyenvien", "thuky", "chutoa", "vanthu"))
    with session_scope(writer) as session:
        syt = unit_by_abbr(session, "SYT").id
    doc = client.post("/api/documents/outgoing", headers=spec, json={
        "doc_type": "CV", "drafting_unit": "KGVX", "abstract": "V/v tăng cường phòng, chống dịch sốt xuất huyết",
        "recipients": [{"unit_id": syt}], "deadline": "2099-01-31"}).json()
    for action, headers in (("review", sec), ("submit", spec), ("approve", chair)):
        client.post(f"/api/documents/{doc['id']}/actions/{action}", json={}, headers=headers)
    signed = pdf("Tang cuong phong chong dich sot xuat huyet")
    client.post(f"/api/documents/{doc['id']}/sign", headers=chair, files={"file": ("cv-signed.pdf", signed)})
    client.post(f"/api/documents/{doc['id']}/actions/number", json={}, headers=clerk)
    issued = client.post(f"/api/documents/{doc['id']}/actions/issue", json={}, headers=clerk).json()
    incoming_id = issued["transition"]["detail"]["delivered_incoming_ids"][0]

    export = client.get(f"/api/documents/{doc['id']}/edxml", headers=clerk)
    assert export.status_code == 200
    package = parse_document(export.content)
    assert package.code_number == "1" and package.code_notation == "UBND-KGVX"
    assert package.subject == "V/v tăng cường phòng, chống dịch sốt xuất huyết"
    assert package.sender.organ_id == "000.00.00.H41" and package.due_date == date(2099, 1, 31)
    assert package.files[0].data == signed and package.signer_name == "Nguyễn Văn An"

    # The health department's clerk finds it in their incoming register and moves it; the issuer hears of it.
    add_person("vanthu.syt", Role.clerk, "SYT")
    syt_clerk = auth_headers(client, "vanthu.syt")
    received = client.get(f"/api/documents/{incoming_id}", headers=syt_clerk).json()
    assert received["unit_id"] == syt and received["code"] == "1/UBND-KGVX"
    assert received["attachments"][0]["sha256"] == issued_sha(client, clerk, doc["id"])
    assert client.post(f"/api/documents/{incoming_id}/actions/register", json={}, headers=syt_clerk).status_code == 200
    with session_scope(writer) as session:
        statuses = session.execute(select(Exchange.status_code).where(
            Exchange.document_id == doc["id"], Exchange.direction == "received", Exchange.kind == "status")
            .order_by(Exchange.id)).scalars().all()
    assert statuses == ["01", "03"]


def issued_sha(client, headers, document_id: int) -> str:  # type: ignore[no-untyped-def]
    detail = client.get(f"/api/documents/{document_id}", headers=headers).json()
    return next(a["sha256"] for a in detail["attachments"] if a["kind"] == "signed")


XXE = (b'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
       b'<export xmlns="' + NS.encode() + b'"><edXMLEnvelope><edXMLHeader><MessageHeader><Subject>&x;</Subject>'
       b'</MessageHeader></edXMLHeader></edXMLEnvelope></export>')


@pytest.mark.parametrize(("label", "data", "words"), [
    ("not xml", b"this is not xml at all", "well-formed"),
    ("truncated", _package()[:400], "well-formed"),
    ("xxe", XXE, "DOCTYPE"),
    ("wrong namespace", b"<export xmlns='urn:other'/>", "namespace"),
    ("long notation", _package().decode().replace("VPCP-TTĐT", "VPCP-" + "X" * 40).encode(), "CodeNotation"),
    ("bad sender code", _package().decode().replace("000.00.00.G22", "G22").encode(), "OrganId"),
])
def test_bad_packages_are_refused(client, auth_headers, writer, label, data, words) -> None:  # type: ignore[no-untyped-def]
    before = _documents(writer)
    response = client.post("/api/documents/edxml", content=data, headers={**auth_headers(client, "vanthu"), **XML})
    assert response.status_code == 422, (label, response.text)
    assert words in response.json()["detail"], response.json()
    assert _documents(writer) == before


def test_field_limits_and_unit_codes_when_reading_and_writing() -> None:
    good = _package().decode()
    for broken, words in ((good.replace("V/v triển khai", "V/v " + "dài " * 200), "Subject"),
                          (good.replace(">7816<", ">123456789012<"), "CodeNumber"),
                          (good.replace("000.00.00.G22", "VPCP"), "OrganId"),
                          (good.replace("2026/09/30", "30-09-2026"), "PromulgationDate"),
                          (good.replace(base64.b64encode(b"%PDF")[:4].decode(), "!!!!", 1), "base64")):
        with pytest.raises(EdxmlError, match=words):
            parse_document(broken.encode())
    with pytest.raises(EdxmlError, match="CodeNotation"):
        _package(code_notation="N" * 31)


def test_a_package_with_a_bad_attachment_writes_nothing(client, auth_headers, writer) -> None:  # type: ignore[no-untyped-def]
    data = _package(files=[FilePart("fake.pdf", "application/pdf", b"not a pdf")])
    before = _documents(writer)
    response = client.post("/api/documents/edxml", content=data, headers={**auth_headers(client, "vanthu"), **XML})
    assert response.status_code == 422 and "PDF" in response.json()["detail"]
    assert _documents(writer) == before
