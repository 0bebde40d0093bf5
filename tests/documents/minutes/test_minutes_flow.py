"""A whole meeting → draft → edit → the secretary signs → the chair co-signs → the clerk seals and
numbers it → it is in the outgoing register and sent to the attending units. Each signature is checked
with pyHanko (trusting the exported root) and poppler's pdfsig; a changed byte is caught by both."""

from __future__ import annotations

import hashlib
import re
import subprocess
import time
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from sqlalchemy import select

from core.audit import AuditEntry
from documents.models import Attachment, Document
from tests.documents.minutes.conftest import PIN, SECOND_SECRETARY, MinutesEnv, ended_meeting, run_async


def pdftotext(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # Justified lines come out with runs of spaces; compare words, not spacing.
    return " ".join(out.split())


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "signed.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout


def has_image(xobject) -> bool:  # type: ignore[no-untyped-def]
    """Whether an appearance stream draws an image, directly or through nested form XObjects."""
    for ref in xobject.get("/Resources", {}).get("/XObject", {}).values():
        inner = ref.get_object()
        if inner.get("/Subtype") == "/Image" or (inner.get("/Subtype") == "/Form" and has_image(inner)):
            return True
    return False


def validate(pdf: bytes, root: Path) -> list:  # type: ignore[type-arg]
    async def run() -> list:  # type: ignore[type-arg]
        reader = PdfFileReader(BytesIO(pdf))
        context = ValidationContext(trust_roots=[load_cert_from_pemder(str(root))], allow_fetching=True)
        return [await async_validate_pdf_signature(s, context) for s in reader.embedded_signatures]

    return run_async(run())


def test_meeting_to_signed_registered_minutes(minutes_env: MinutesEnv, tmp_path: Path) -> None:
    env = minutes_env
    meeting_id = ended_meeting(env)
    secretary, chair, clerk = env.client("thuky"), env.client("chutoa"), env.client("vanthu")

    made = secretary.post(f"/api/meetings/{meeting_id}/minutes")
    assert made.status_code == 201, made.text
    minutes = made.json()
    mid = minutes["id"]
    source = minutes["source"]
    assert minutes["status"] == "draft" and source["chair"]["username"] == "chutoa"
    assert len(source["attendance"]) == 3 and source["absent"] == ["Ủy ban nhân dân thị xã Thái Hòa"]
    cualo = next(a for a in source["attendance"] if "Cửa Lò" in a["unit_name"])
    assert len(cualo["intervals"]) == 2  # dropped and came back
    seconds = {s["full_name"]: round(s["seconds"]) for s in source["speaking"]}
    assert seconds["Nguyễn Văn An"] == 600 and sorted(seconds.values()) == [330, 600]
    assert [a["action"] for a in source["host_actions"]] == ["Tắt micro"]
    assert source["host_actions"][0]["actor"] == "Nguyễn Văn An"
    assert secretary.post(f"/api/meetings/{meeting_id}/minutes").status_code == 409  # one set per meeting
    assert env.client(SECOND_SECRETARY).post(f"/api/meetings/{meeting_id}/minutes").status_code == 403

    draft_text = pdftotext(secretary.get(f"/api/minutes/{mid}/pdf").content, tmp_path)
    for expected in ("ỦY BAN NHÂN DÂN", "TỈNH NGHỆ AN", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                     "Độc lập - Tự do - Hạnh phúc", "/BB-UBND", "BIÊN BẢN", "Giao ban trực tuyến tháng 11",
                     "Thời gian bắt đầu:", "Hội trường tầng 2, trụ sở UBND tỉnh", "Chủ trì (chủ tọa): Nguyễn Văn An",
                     "Thư ký (người ghi biên bản): Trần Thị Bình", "Tình hình kinh tế - xã hội",
                     "Tắt micro: Điểm cầu TX Hoàng Mai", "Điểm cầu TX Cửa Lò",
                     "Vắng mặt: Ủy ban nhân dân thị xã Thái Hòa.",
                     "10 phút 00 giây", "Cuộc họp kết thúc vào", "THƯ KÝ", "CHỦ TỌA"):
        assert expected in draft_text, expected
    # Each endpoint by its own name, as the conference records them (role "district"); none is the hall.
    flat = " ".join(draft_text.split())
    assert ("kết nối trực tuyến với 3 điểm cầu: Điểm cầu TP Vinh, Điểm cầu TX Cửa Lò, Điểm cầu TX Hoàng Mai"
            in flat), flat
    assert "hội trường chủ trì" not in flat

    content = {**minutes["content"], "version": minutes["version"],
               "conclusions": "Các sở, ngành khẩn trương rà soát hồ đập trước mùa mưa lũ.",
               "assignments": [{"unit": "Sở Nông nghiệp và Phát triển nông thôn", "task": "Kiểm tra an toàn hồ đập",
                                "deadline": "2026-12-15"}],
               "sections": [{"heading": "Ý kiến khác", "body": "Đề nghị bổ sung kinh phí ứng phó thiên tai."}]}
    edited = secretary.put(f"/api/minutes/{mid}", json=content)
    assert edited.status_code == 200, edited.text
    stale = secretary.put(f"/api/minutes/{mid}", json=content)  # the version read is no longer current
    assert stale.status_code == 409
    assert chair.put(f"/api/minutes/{mid}", json=content).status_code == 403  # only the secretary edits
    edited_text = pdftotext(secretary.get(f"/api/minutes/{mid}/pdf").content, tmp_path)
    assert "khẩn trương rà soát hồ đập" in edited_text
    assert "Kiểm tra an toàn hồ đập. Thời hạn:" in edited_text and "15/12/2026." in edited_text

    first = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "secretary_signed"
    assert first.json()["signatures"][0]["level"] in ("B-T", "B-LT")
    assert secretary.put(f"/api/minutes/{mid}", json={**content, "version": None}).status_code == 409

    second = chair.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert second.status_code == 200, second.text
    assert second.json()["status"] == "chair_signed"

    issued = clerk.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert issued.status_code == 200, issued.text
    done = issued.json()
    assert done["status"] == "issued" and re.fullmatch(r"\d+/BB-UBND", done["code"])
    assert [s["role"] for s in done["signatures"]] == ["secretary", "chair", "organisation"]
    assert {s["level"] for s in done["signatures"]} == {"B-LT"}  # the CA's OCSP/CRL answer on loopback

    pdf = secretary.get(f"/api/minutes/{mid}/pdf").content
    statuses = validate(pdf, env.root_pem)
    assert len(statuses) == 3
    for status in statuses:
        assert status.intact and status.valid and status.trusted, status.summary()
        assert status.timestamp_validity is not None and status.timestamp_validity.valid
        assert status.bottom_line, status.summary()
    names = [s.signing_cert.subject.native["common_name"] for s in statuses]
    assert names == ["Trần Thị Bình", "Nguyễn Văn An", "Ủy ban nhân dân tỉnh Nghệ An"]
    report = pdfsig(pdf, tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 3, report
    assert "Signature Field Name: ThuKy" in report and "Signature Field Name: ChuToa" in report
    reader = PdfFileReader(BytesIO(pdf))
    assert "/DSS" in reader.root  # validation data embedded (B-LT)
    widgets = {f.get_object()["/T"]: f.get_object() for f in reader.root["/AcroForm"]["/Fields"]}
    assert widgets["SoVanBan"]["/V"] == done["code"].split("/")[0]
    assert has_image(widgets["DauCoQuan"]["/AP"]["/N"].get_object())  # the red seal
    assert not has_image(widgets["ThuKy"]["/AP"]["/N"].get_object())
    seal, chair_box = widgets["DauCoQuan"]["/Rect"], widgets["ChuToa"]["/Rect"]
    third = (float(chair_box[2]) - float(chair_box[0])) / 3
    assert float(seal[0]) < float(chair_box[0]) < float(seal[2]) <= float(chair_box[0]) + third + 1
    text = pdftotext(pdf, tmp_path)
    assert "BIÊN BẢN" in text and "Trần Thị Bình" in text and "Nguyễn Văn An" in text

    with env.sessions()() as session:
        document = session.get(Document, done["document_id"])
        assert document is not None and document.register == "out" and document.code == done["code"]
        assert document.doc_type == "BB" and document.state == "numbered"
        signed = session.execute(select(Attachment).where(Attachment.document_id == document.id,
                                                          Attachment.kind == "signed")).scalar_one()
        assert signed.sha256 == hashlib.sha256(pdf).hexdigest()
        assert {r.code for r in document.recipients} == {a["unit_code"] for a in source["attendance"]}
        signed_entries = session.execute(select(AuditEntry).where(AuditEntry.action == "minutes.signed",
                                                                  AuditEntry.target == f"minutes:{mid}")).scalars()
        assert sorted(e.actor for e in signed_entries) == ["chutoa", "thuky", "vanthu"]

    assert 'id="send"' in clerk.get(f"/minutes/{mid}").text
    sent = clerk.post(f"/api/minutes/{mid}/send")
    assert sent.status_code == 200, sent.text
    assert len(sent.json()["delivered_incoming_ids"]) == len({a["unit_code"] for a in source["attendance"]})
    assert clerk.post(f"/api/minutes/{mid}/send").status_code == 409  # sent once
    assert 'id="sent"' in clerk.get(f"/minutes/{mid}").text

    checked = secretary.post("/api/signatures/verify", files={"file": ("bien-ban.pdf", pdf, "application/pdf")})
    assert checked.status_code == 200, checked.text
    assert checked.json()["all_valid"] and checked.json()["count"] == 3 and checked.json()["ltv"]

    # One changed byte inside the first revision's signed range: both tools must see the damage.
    body = bytearray(pdf)
    at = pdf.index(b"stream", 2000) + 20
    body[at] ^= 0x01
    tampered = bytes(body)
    damaged = pdfsig(tampered, tmp_path)
    assert "Signature is Valid." not in damaged.split("Signature #2")[0], damaged
    assert "Digest Mismatch" in damaged or "Signature is Invalid" in damaged, damaged
    statuses = validate(tampered, env.root_pem)
    assert not statuses[0].intact and not statuses[0].bottom_line
    flagged = secretary.post("/api/signatures/verify", files={"file": ("sua.pdf", tampered, "application/pdf")})
    assert flagged.status_code == 200 and not flagged.json()["all_valid"]
    assert flagged.json()["signatures"][0]["verdict"] == "damaged"


def test_meeting_end_event_drafts_minutes(minutes_env: MinutesEnv) -> None:
    """Wired as the web layer does it, the app drafts the minutes when the conference publishes that the
    meeting ended, without anyone clicking; a repeated event changes nothing."""
    import time

    from fastapi.testclient import TestClient

    from conference.record import meeting_record
    from core.bus import InProcessBus, set_bus
    from documents.minutes.models import Minutes
    from documents.minutes.wiring import connect_app
    from web.app import create_app

    meeting_id = ended_meeting(minutes_env, title="Họp tự động lập biên bản")
    bus = InProcessBus()
    set_bus(bus)
    try:
        app = create_app(minutes_env.settings)
        connect_app(app, meeting_record)
        with TestClient(app) as client:
            event = {"meeting": meeting_id, "status": "ended", "by": "chutoa"}
            client.portal.call(bus.publish, "conference.meeting", event)
            client.portal.call(bus.publish, "conference.meeting", event)
            found, deadline = None, time.monotonic() + 20
            query = select(Minutes).where(Minutes.meeting_id == meeting_id)
            while found is None and time.monotonic() < deadline:
                with minutes_env.sessions()() as session:
                    found = session.execute(query).scalar_one_or_none()
                time.sleep(0.05)
            time.sleep(0.3)  # the repeated event is handled too
    finally:
        set_bus(None)
    assert found is not None and found.status == "draft"
    assert found.subject == "Họp tự động lập biên bản" and found.secretary_username == "thuky"
    with minutes_env.sessions()() as session:
        assert len(session.execute(select(Minutes).where(Minutes.meeting_id == meeting_id)).scalars().all()) == 1
        drafted = session.execute(select(AuditEntry).where(AuditEntry.action == "minutes.drafted",
                                                           AuditEntry.target == f"minutes:{found.id}")).scalar_one()
        assert drafted.actor == "system"


@pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)  # pages do not depend on the backend
def test_pages_show_list_and_editor(minutes_env: MinutesEnv) -> None:
    meeting_id = ended_meeting(minutes_env, title="Họp xem trang biên bản")
    secretary = minutes_env.client("thuky")
    mid = secretary.post(f"/api/meetings/{meeting_id}/minutes").json()["id"]
    listing = secretary.get("/minutes")
    assert listing.status_code == 200 and "Họp xem trang biên bản" in listing.text
    assert f'href="/minutes/{mid}"' in listing.text
    page = secretary.get(f"/minutes/{mid}")
    assert page.status_code == 200
    for expected in ("Dự thảo", "Kết luận", "Phân công nhiệm vụ", 'id="pin-dialog"', f"/api/minutes/{mid}/pdf",
                     "Ký số (Thư ký)"):
        assert expected in page.text, expected
    assert f'href="/meetings/{meeting_id}"' in page.text  # minutes -> meeting, and back:
    meeting_page = secretary.get(f"/meetings/{meeting_id}").text
    assert f'href="/minutes/{mid}"' in meeting_page
    # The meeting's record names the three endpoints that attended, none as the chair's hall.
    assert "3/4 điểm cầu" in meeting_page and "hội trường chủ trì" not in meeting_page
    # Someone outside the meeting's circle sees the meeting's agenda but no way to its minutes.
    outsider = minutes_env.client("cv-gtvt")
    assert outsider.get(f"/minutes/{mid}").status_code == 403
    assert "/minutes/" not in outsider.get(f"/meetings/{meeting_id}").text
    chair_page = minutes_env.client("chutoa").get(f"/minutes/{mid}")
    assert 'id="sign"' not in chair_page.text and "Thư ký phải ký trước" in chair_page.text
    english = secretary.get(f"/minutes/{mid}?lang=en")
    assert "Conclusions" in english.text and "Draft" in english.text
    assert minutes_env.client("dc-vinh").get("/minutes").status_code == 403
    for missing in (secretary.get("/api/minutes/999999"), secretary.get("/minutes/999999"),
                    secretary.post("/api/meetings/999999/minutes"), secretary.get("/api/minutes/999999/pdf")):
        assert missing.status_code == 404, missing.text
    invalid = secretary.put(f"/api/minutes/{mid}", json={"subject": "", "assignments": [{"unit": "Sở Y tế"}]})
    assert invalid.status_code == 422 and "subject" in invalid.json()["message"]


def test_the_pin_dialog_hash_is_the_hash_of_what_is_signed(minutes_env: MinutesEnv) -> None:
    meeting_id = ended_meeting(minutes_env, title="Họp xác nhận mã băm")
    secretary = minutes_env.client("thuky")
    mid = secretary.post(f"/api/meetings/{meeting_id}/minutes").json()["id"]
    first = secretary.get(f"/api/minutes/{mid}/pdf").content
    time.sleep(1.1)  # a draft rendered again later is the same bytes: nothing in it depends on the clock
    assert secretary.get(f"/api/minutes/{mid}/pdf").content == first
    facts = secretary.get(f"/api/minutes/{mid}/signing").json()
    assert facts["sha256"] == hashlib.sha256(first).hexdigest() and facts["role"] == "secretary"
    assert facts["full_name"] == "Trần Thị Bình" and "chưa có số" in facts["number"]
    assert minutes_env.client("chutoa").get(f"/api/minutes/{mid}/signing").status_code == 409  # not yet
    assert "409" in minutes_env.app.openapi()["paths"]["/api/minutes/{minutes_id}/signing"]["get"]["responses"]

    # The draft changes after the dialog showed its hash: nothing is signed.
    current = secretary.get(f"/api/minutes/{mid}").json()
    edited = secretary.put(f"/api/minutes/{mid}", json={**current["content"], "version": current["version"],
                                                        "conclusions": "Kết luận viết sau khi mở hộp ký."})
    assert edited.status_code == 200, edited.text
    stale = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN, "document_sha256": facts["sha256"]})
    assert stale.status_code == 409 and "mã băm" in stale.json()["detail"]
    assert secretary.get(f"/api/minutes/{mid}").json()["signatures"] == []
    fresh = secretary.get(f"/api/minutes/{mid}/signing").json()["sha256"]
    assert fresh != facts["sha256"]
    signed = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN, "document_sha256": fresh})
    assert signed.status_code == 200, signed.text
    chair_facts = minutes_env.client("chutoa").get(f"/api/minutes/{mid}/signing").json()
    assert chair_facts["role"] == "chair" and chair_facts["sha256"] != fresh
