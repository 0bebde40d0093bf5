"""The document state machine through the REST API: the whole incoming and outgoing flows with the
roles the transitions table names, refusals (wrong state → 409, wrong role or unit → 403, bad detail →
422) that leave nothing written, history and audit entries, and bus events after commit."""

from __future__ import annotations

import anyio
from sqlalchemy import func, select

from core.audit import AuditEntry, verify
from core.bus import InProcessBus, set_bus
from core.db import session_scope
from core.people import Role
from documents.creation import create_incoming
from documents.models import Document, Exchange, Transition
from documents.schemas import DirectionIn, IncomingIn
from documents.transitions import TRANSITIONS
from documents.workflow import apply_action
from tests.documents.conftest import pdf, unit_by_abbr, viewer_of

INCOMING = {"doc_type": "QĐ", "code": "1520/QĐ-UBND", "abstract": "Quyết định về phòng, chống dịch Covid-19",
            "issuer_name": "UBND tỉnh Hà Tĩnh", "issuer_code": "000.00.00.H42", "doc_date": "2026-03-02",
            "urgency": "khan"}


def _act(client, headers, document_id, action, **body):  # type: ignore[no-untyped-def]
    return client.post(f"/api/documents/{document_id}/actions/{action}", json=body, headers=headers)


def test_incoming_flow_with_roles_and_history(client, auth_headers, writer) -> None:  # type: ignore[no-untyped-def]
    clerk, chair, spec = (auth_headers(client, n) for n in ("vanthu", "chutoa", "chuyenvien"))
    created = client.post("/api/documents/incoming", json=INCOMING, headers=clerk)
    assert created.status_code == 201, created.text
    doc = created.json()
    assert doc["state"] == "registered" and doc["number"] == 1 and doc["register"] == "in"

    # A leader cannot register, a clerk cannot direct, a specialist cannot act before direction.
    assert _act(client, spec, doc["id"], "submit").status_code == 403
    refused = _act(client, chair, doc["id"], "start")
    assert refused.status_code == 403
    assert _act(client, clerk, doc["id"], "direct").status_code == 403
    early = _act(client, chair, doc["id"], "direct", direction={"lead_unit_id": 1})
    assert early.status_code == 409 and "registered" in early.json()["detail"]

    assert _act(client, clerk, doc["id"], "submit", comment="Kính trình đồng chí Chủ tịch").status_code == 200
    inbox = client.get("/api/documents/inbox", headers=chair).json()
    assert [d["id"] for d in inbox["to_direct"]] == [doc["id"]]

    with session_scope(writer) as session:
        vp = unit_by_abbr(session, "VP").id
        syt = unit_by_abbr(session, "SYT").id
        before = session.execute(select(func.count()).select_from(Transition)).scalar_one()
    # A direction naming a unit that does not exist is refused and writes nothing.
    bad = _act(client, chair, doc["id"], "direct", direction={"lead_unit_id": 99999})
    assert bad.status_code == 422 and "99999" in bad.json()["detail"]
    missing = _act(client, chair, doc["id"], "direct")
    assert missing.status_code == 422
    with session_scope(writer) as session:
        assert session.execute(select(func.count()).select_from(Transition)).scalar_one() == before
        assert session.get(Document, doc["id"]).state == "submitted"

    directed = _act(client, chair, doc["id"], "direct", comment="Giao VP chủ trì, Sở Y tế phối hợp",
                    direction={"lead_unit_id": vp, "coordinating_unit_ids": [syt], "deadline": "2099-12-31"})
    assert directed.status_code == 200, directed.text
    assert directed.json()["document"]["lead_unit_id"] == vp
    assert _act(client, spec, doc["id"], "complete").status_code == 409
    assert _act(client, spec, doc["id"], "start").status_code == 200
    assert _act(client, spec, doc["id"], "complete", comment="Đã tham mưu văn bản trả lời").status_code == 200
    again = _act(client, spec, doc["id"], "complete")
    assert again.status_code == 409

    detail = client.get(f"/api/documents/{doc['id']}", headers=clerk).json()
    assert detail["state"] == "done"
    steps = [(h["action"], h["from_state"], h["to_state"]) for h in detail["history"]]
    assert steps == [("receive", "", "received"), ("register", "received", "registered"),
                     ("submit", "registered", "submitted"), ("direct", "submitted", "directed"),
                     ("start", "directed", "processing"), ("complete", "processing", "done")]
    assert detail["history"][3]["actor_name"] == "Nguyễn Văn An"
    assert detail["history"][3]["comment"] == "Giao VP chủ trì, Sở Y tế phối hợp"
    assert {r["role"] for r in detail["recipients"]} >= {"lead", "coordinate"}
    with session_scope(writer) as session:
        actions = session.execute(select(AuditEntry.action).where(
            AuditEntry.target == f"document:{doc['id']}")).scalars().all()
        assert "documents.direct" in actions and "documents.complete" in actions
        assert verify(session).ok


def test_unknown_action_and_other_units_document(client, auth_headers, add_person) -> None:  # type: ignore[no-untyped-def]
    clerk = auth_headers(client, "vanthu")
    doc = client.post("/api/documents/incoming", json=INCOMING, headers=clerk).json()
    assert _act(client, clerk, doc["id"], "teleport").status_code == 422
    add_person("vanthu.syt", Role.clerk, "SYT")
    other_clerk = auth_headers(client, "vanthu.syt")
    refused = _act(client, other_clerk, doc["id"], "submit")
    assert refused.status_code == 403 and "đơn vị" in refused.json()["detail"]
    assert _act(client, clerk, 987654, "submit").status_code == 404


def test_outgoing_flow_sign_number_issue_and_lien_thong(client, auth_headers, writer) -> None:  # type: ignore[no-untyped-def]
    spec, sec, chair, clerk = (auth_headers(client, n) for n in ("chuyenvien", "thuky", "chutoa", "vanthu"))
    with session_scope(writer) as session:
        syt, snn = unit_by_abbr(session, "SYT").id, unit_by_abbr(session, "SNN").id
    draft = client.post("/api/documents/outgoing", headers=spec, json={
        "doc_type": "QĐ", "abstract": "Quyết định phê duyệt kế hoạch ứng phó bão lũ năm 2026", "urgency": "thuong_khan",
        "recipients": [{"unit_id": syt}, {"unit_id": snn}, {"name": "Văn phòng Chính phủ", "code": "000.00.00.G22"}]})
    assert draft.status_code == 201, draft.text
    doc = draft.json()
    assert doc["state"] == "drafted" and doc["number"] is None
    assert _act(client, clerk, doc["id"], "number").status_code == 409  # not signed yet
    assert _act(client, sec, doc["id"], "review").status_code == 200
    assert _act(client, spec, doc["id"], "submit").status_code == 200
    assert _act(client, spec, doc["id"], "approve").status_code == 403
    assert _act(client, chair, doc["id"], "approve").status_code == 200
    # Signing needs the signed PDF; a file that is not a PDF is refused and the state stays.
    not_pdf = client.post(f"/api/documents/{doc['id']}/sign", headers=chair,
                          files={"file": ("signed.pdf", b"just text", "application/pdf")})
    assert not_pdf.status_code == 422
    signed_bytes = pdf("Quyet dinh phe duyet ke hoach ung pho bao lu nam 2026")
    signed = client.post(f"/api/documents/{doc['id']}/sign", headers=chair,
                         files={"file": ("qd-bao-lu-signed.pdf", signed_bytes, "application/pdf")},
                         data={"comment": "Đồng ý ban hành"})
    assert signed.status_code == 200, signed.text
    numbered = _act(client, clerk, doc["id"], "number")
    assert numbered.status_code == 200
    assert numbered.json()["document"]["code"] == "1/QĐ-UBND"
    issued = _act(client, clerk, doc["id"], "issue")
    assert issued.status_code == 200
    delivered = issued.json()["transition"]["detail"]["delivered_incoming_ids"]
    assert len(delivered) == 2 and issued.json()["transition"]["detail"]["outbox"] == ["000.00.00.G22"]

    detail = client.get(f"/api/documents/{doc['id']}", headers=clerk).json()
    signed_files = [a for a in detail["attachments"] if a["kind"] == "signed"]
    assert len(signed_files) == 1
    kept = client.get(signed_files[0]["url"], headers=clerk)
    assert kept.content == signed_bytes  # the signed original is kept byte for byte
    assert detail["signer_name"] == "Nguyễn Văn An"

    with session_scope(writer) as session:
        received = session.execute(select(Document).where(Document.id.in_(delivered))).scalars().all()
        assert {d.unit_id for d in received} == {syt, snn}
        assert all(d.state == "received" and d.code == "1/QĐ-UBND" and d.urgency == "thuong_khan" for d in received)
        # The receiving units answered "01 arrived" back to the issuing document.
        statuses = session.execute(select(Exchange.status_code).where(
            Exchange.document_id == doc["id"], Exchange.direction == "received")).scalars().all()
        assert statuses == ["01", "01"]


def test_transitions_table_is_consistent() -> None:
    seen = set()
    for step in TRANSITIONS:
        key = (step.register, step.from_state, step.action)
        assert key not in seen, f"two transitions for {key}"
        seen.add(key)
        assert step.roles, f"{key} names no role"


async def test_events_published_after_commit(writer) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus()
    set_bus(bus)
    received: list[tuple[str, dict]] = []
    try:
        subscription = bus.subscribe("documents.")

        async def collect() -> None:
            async for topic, event in subscription:
                received.append((topic, event))
                if topic == "documents.directed":
                    return

        def work() -> None:
            with session_scope(writer) as session:
                clerk, chair = viewer_of(session, "vanthu"), viewer_of(session, "chutoa")
                doc = create_incoming(session, clerk, IncomingIn(**INCOMING))
                apply_action(session, doc.id, "register", clerk)
                apply_action(session, doc.id, "submit", clerk)
                apply_action(session, doc.id, "direct", chair,
                             direction=DirectionIn(lead_unit_id=unit_by_abbr(session, "VP").id))
            # A failing transaction announces nothing.
            try:
                with session_scope(writer) as session:
                    doc = create_incoming(session, viewer_of(session, "vanthu"), IncomingIn(**INCOMING))
                    raise RuntimeError("abandon")
            except RuntimeError:
                pass

        async with anyio.create_task_group() as group:
            group.start_soon(collect)
            await anyio.sleep(0.05)
            await anyio.to_thread.run_sync(work)
        topics = [t for t, _ in received]
        assert topics == ["documents.received", "documents.registered", "documents.submitted",
                          "documents.directed"]
        assert received[1][1]["number"] == 1
    finally:
        set_bus(None)
