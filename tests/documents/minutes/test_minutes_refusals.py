"""Bad input on the minutes: wrong PIN, a locked credential, an expired SAD, signing out of order or
twice, corrupt and encrypted PDFs to verify. Each is a clear 4xx with an audit entry, and nothing is
half-written: the minutes keep their state and PDF, and no number is used up."""

from __future__ import annotations

from datetime import UTC, datetime
from io import BytesIO

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader
from pypdf import PdfReader, PdfWriter
from sqlalchemy import func, select

from core.audit import AuditEntry
from documents import numbering
from documents.clock import local_date
from documents.minutes import signing_steps
from documents.minutes.drafts import get
from documents.minutes.models import Minutes, MinutesSignature
from documents.models import Counter
from signing.credential_admin import unlock_credential
from tests.conftest import free_port
from tests.documents.minutes.conftest import PIN, SECOND_SECRETARY, MinutesEnv, ended_meeting

# Refusals that depend on the signing service or on reading PDFs, not on the database backend, run
# on SQLite only; those whose transactions matter (wrong PIN, numbering) run on both.
ONE_BACKEND = pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)


def _draft(env: MinutesEnv, secretary: str = "thuky") -> int:
    meeting_id = ended_meeting(env, secretary=secretary, title=f"Họp kiểm tra lỗi ({secretary})")
    made = env.client(secretary).post(f"/api/meetings/{meeting_id}/minutes")
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def _refusals(env: MinutesEnv, action: str = "minutes.sign.refused") -> list[AuditEntry]:
    with env.sessions()() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.seq)).scalars())


def _state(env: MinutesEnv, minutes_id: int) -> tuple[str, bool, int, int]:
    with env.sessions()() as session:
        minutes = session.get(Minutes, minutes_id)
        assert minutes is not None
        signatures = session.execute(select(func.count()).select_from(MinutesSignature)
                                     .where(MinutesSignature.minutes_id == minutes_id)).scalar_one()
        numbers = session.execute(select(func.coalesce(func.sum(Counter.last_number), 0))
                                  .where(Counter.register == "out")).scalar_one()
        return minutes.status, minutes.pdf is not None, signatures, numbers


def test_wrong_pin_out_of_order_and_twice(minutes_env: MinutesEnv) -> None:
    env = minutes_env
    mid = _draft(env)
    before = _state(env, mid)
    secretary, chair, clerk = env.client("thuky"), env.client("chutoa"), env.client("vanthu")

    wrong = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": "000000"})
    assert wrong.status_code == 400 and "PIN" in wrong.json()["detail"]
    assert "còn 4 lần thử" in wrong.json()["detail"]  # attempts left are named
    assert _state(env, mid) == before
    last = _refusals(env)[-1]
    assert last.actor == "thuky" and last.target == f"minutes:{mid}" and "wrong_pin" in last.detail

    early = chair.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert early.status_code == 409 and "thư ký" in early.json()["detail"].lower()
    assert clerk.post(f"/api/minutes/{mid}/sign", json={"pin": PIN}).status_code == 409
    assert _state(env, mid) == before
    assert _refusals(env)[-1].actor == "vanthu"

    assert secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN}).status_code == 200
    again = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert again.status_code == 409 and "đã ký" in again.json()["detail"]
    assert _state(env, mid)[2] == 1
    # A specialist is not a signer at all: refused by role before anything is looked up.
    assert env.client("chuyenvien").post(f"/api/minutes/{mid}/sign", json={"pin": PIN}).status_code == 403
    assert secretary.post(f"/api/minutes/{mid}/sign", json={}).status_code == 422


@ONE_BACKEND
def test_locked_credential(minutes_env: MinutesEnv) -> None:
    env = minutes_env
    mid = _draft(env, SECOND_SECRETARY)
    before = _state(env, mid)
    secretary = env.client(SECOND_SECRETARY)
    answers = [secretary.post(f"/api/minutes/{mid}/sign", json={"pin": f"99999{i}"}).status_code for i in range(5)]
    assert answers == [400, 400, 400, 400, 423]
    locked = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert locked.status_code == 423 and "khóa" in locked.json()["detail"]
    assert _state(env, mid) == before
    assert len([e for e in _refusals(env) if e.actor == SECOND_SECRETARY]) == 6
    with env.sessions()() as session, session.begin():
        unlock_credential(session, env.settings, env.credentials[SECOND_SECRETARY], actor="admin")
    assert secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN}).status_code == 200


@ONE_BACKEND
def test_expired_sad_keeps_nothing(minutes_env: MinutesEnv) -> None:
    env = minutes_env
    mid = _draft(env)
    before = _state(env, mid)
    config = env.signing_app.state.config
    saved_ttl = config.sad_ttl_seconds
    config.sad_ttl_seconds = 0  # every SAD the service issues is already expired when used
    try:
        expired = env.client("thuky").post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    finally:
        config.sad_ttl_seconds = saved_ttl
    assert expired.status_code == 409 and "SAD" in expired.json()["detail"]
    assert _state(env, mid) == before
    assert "sad_expired" in _refusals(env)[-1].detail


def _encrypted_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.encrypt(user_password="mat-khau", owner_password="chu-so-huu")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


@ONE_BACKEND
@pytest.mark.parametrize(("name", "data", "status", "words"), [
    ("hong.pdf", b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n%%EOF garbage", 422, "hỏng"),
    ("mat.pdf", _encrypted_pdf(), 422, "mã hóa"),
    ("anh.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, 422, "không phải PDF"),
], ids=["corrupt", "encrypted", "not-a-pdf"])
def test_verify_refuses_unreadable_pdfs(minutes_env: MinutesEnv, name: str, data: bytes, status: int,
                                        words: str) -> None:
    client = minutes_env.client("thuky")
    answer = client.post("/api/signatures/verify", files={"file": (name, data, "application/pdf")})
    assert answer.status_code == status and words in answer.json()["detail"]
    assert _refusals(minutes_env, "signatures.verify.refused")[-1].target == name
    assert client.post("/api/signatures/verify").status_code == 400


@ONE_BACKEND
def test_verify_reports_unsigned_pdf(minutes_env: MinutesEnv) -> None:
    client = minutes_env.client("thuky")
    mid = _draft(minutes_env)
    draft = client.get(f"/api/minutes/{mid}/pdf").content
    assert PdfReader(BytesIO(draft)).pages  # a readable PDF with empty signature fields only
    answer = client.post("/api/signatures/verify", files={"file": ("du-thao.pdf", draft, "application/pdf")})
    assert answer.status_code == 200 and answer.json()["count"] == 0 and not answer.json()["all_valid"]


@ONE_BACKEND
def test_signing_service_unreachable(minutes_env: MinutesEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.settings import get_settings

    mid = _draft(minutes_env)
    before = _state(minutes_env, mid)
    monkeypatch.setenv("GIAOBAN_SIGNING_URL", f"http://127.0.0.1:{free_port()}")
    get_settings.cache_clear()
    try:
        down = minutes_env.client("thuky").post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    finally:
        monkeypatch.delenv("GIAOBAN_SIGNING_URL")
        get_settings.cache_clear()
    assert down.status_code == 503 and "dịch vụ ký số" in down.json()["detail"]
    assert _state(minutes_env, mid) == before
    assert _refusals(minutes_env)[-1].target == f"minutes:{mid}"


def test_number_taken_while_the_clerk_signs(minutes_env: MinutesEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """Another outgoing document takes the number the clerk's signature was made with: the minutes are
    signed again with the next number, and the PDF, the register and the counter agree."""
    env = minutes_env
    mid = _draft(env)
    for username in ("thuky", "chutoa"):
        assert env.client(username).post(f"/api/minutes/{mid}/sign", json={"pin": PIN}).status_code == 200
    with env.sessions()() as session:
        unit_id = get(session, mid).unit_id
    real_sign, calls = signing_steps.sign_revision, []
    year = local_date(datetime.now(UTC)).year

    async def sign_while_another_is_numbered(*args, **kwargs):  # type: ignore[no-untyped-def]
        revision = await real_sign(*args, **kwargs)
        calls.append(kwargs["number"])
        if len(calls) == 1:
            with env.sessions()() as session, session.begin():
                numbering.next_number(session, unit_id, "out", year)
        return revision

    monkeypatch.setattr(signing_steps, "sign_revision", sign_while_another_is_numbered)
    issued = env.client("vanthu").post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
    assert issued.status_code == 200, issued.text
    assert len(calls) == 2 and int(calls[1]) == int(calls[0]) + 1
    assert issued.json()["code"] == f"{calls[1]}/BB-UBND"
    pdf = env.client("thuky").get(f"/api/minutes/{mid}/pdf").content
    fields = {f.get_object()["/T"]: f.get_object() for f in PdfFileReader(BytesIO(pdf)).root["/AcroForm"]["/Fields"]}
    assert fields["SoVanBan"]["/V"] == calls[1]
    assert len(PdfFileReader(BytesIO(pdf)).embedded_signatures) == 3
    with env.sessions()() as session:
        assert numbering.peek(session, unit_id, "out", year) == int(calls[1])  # no number lost or doubled
