"""New register entries: an incoming document received by a unit, an outgoing document drafted in
one. Both start in the workflow's first state with the creation recorded like any transition."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.people import Role, User
from core.units import Unit
from documents import events, indexing
from documents.clock import local_date, now
from documents.errors import Invalid, NotAllowed
from documents.models import Document, Recipient, Transition
from documents.schemas import IncomingIn, OutgoingIn, RecipientIn
from documents.scope import Viewer
from documents.transitions import INITIAL
from documents.vocabulary import is_confidential

CREATORS = {"in": frozenset({Role.clerk}), "out": frozenset({Role.specialist, Role.secretary, Role.chair})}


def _unit(session: Session, viewer: Viewer | None, unit_id: int | None) -> int:
    chosen = unit_id if unit_id is not None else (viewer.home_unit_id if viewer else None)
    if chosen is None or session.get(Unit, chosen) is None:
        raise Invalid(f"unit_id: không có đơn vị / no such unit: {chosen}")
    if viewer is not None and not viewer.acts_for(chosen):
        raise NotAllowed("Bạn không làm việc cho đơn vị này / you do not work for this unit")
    return chosen


def add_recipients(session: Session, document: Document, items: list[RecipientIn], role: str = "to") -> None:
    for item in items:
        if item.unit_id is None and item.user_id is None and not item.name:
            raise Invalid("recipients: mỗi nơi nhận cần unit_id, user_id hoặc name / each recipient needs one")
        name, code = item.name, item.code
        if item.unit_id is not None:
            unit = session.get(Unit, item.unit_id)
            if unit is None:
                raise Invalid(f"recipients: không có đơn vị / no such unit: {item.unit_id}")
            name, code = name or unit.name, unit.code
        if item.user_id is not None and session.get(User, item.user_id) is None:
            raise Invalid(f"recipients: không có người dùng / no such user: {item.user_id}")
        document.recipients.append(Recipient(unit_id=item.unit_id, user_id=item.user_id, name=name, code=code,
                                             role=role))


def record(session: Session, document: Document, *, action: str, from_state: str, to_state: str,
           actor: Viewer | None, comment: str = "", detail: dict[str, Any] | None = None, ip: str = "",
           ) -> Transition:
    """The history row, the audit entry and the bus event of one workflow step."""
    at = now()
    step = Transition(document_id=document.id, action=action, from_state=from_state, to_state=to_state,
                      actor_id=actor.user_id if actor else None, actor_name=actor.full_name if actor else "edXML",
                      at=at, comment=comment, detail=json.dumps(detail or {}, ensure_ascii=False, default=str))
    session.add(step)
    audit.record(session, actor=actor.username if actor else "edxml", action=f"documents.{action}",
                 target=f"document:{document.id}", ip=ip,
                 detail={"from": from_state, "to": to_state, "comment": comment, **(detail or {})})
    events.queue(session, f"documents.{to_state}",
                 event_body(document, action=action, state=to_state, at=at.isoformat()))
    return step


def event_body(document: Document, **extra: Any) -> dict[str, Any]:
    """What a bus event may say about a document: only what every subscriber may see. The abstract of a
    confidential document stays out (the operations screen and any other listener fetch the rest under
    the reader's own rights)."""
    confidential = is_confidential(document.confidentiality)
    body: dict[str, Any] = {
        "id": document.id, "register": document.register, "unit_id": document.unit_id, "state": document.state,
        "number": document.number, "code": document.code, "urgency": document.urgency,
        "confidential": confidential, "lead_unit_id": document.lead_unit_id,
        "deadline": document.deadline.isoformat() if document.deadline else None, **extra,
    }
    if not confidential:
        body["abstract"] = document.abstract[:200]
    return body


def create_incoming(session: Session, viewer: Viewer | None, data: IncomingIn, *, unit_id: int | None = None,
                    exchange_id: str = "", sender_code: str = "", source_document_id: int | None = None,
                    ip: str = "") -> Document:
    """A received document in the unit's incoming register (state `received`, no arrival number yet)."""
    if viewer is not None and viewer.role not in CREATORS["in"]:
        raise NotAllowed("Chỉ văn thư vào sổ văn bản đến / only a clerk records incoming documents")
    unit = _unit(session, viewer, unit_id if unit_id is not None else data.unit_id)
    issuer_unit = None
    if data.issuer_code:
        issuer_unit = session.execute(select(Unit.id).where(Unit.code == data.issuer_code)).scalar_one_or_none()
    at = data.received_at or now()
    document = Document(
        register="in", unit_id=unit, year=local_date(at).year, doc_type=data.doc_type, code=data.code,
        abstract=data.abstract, content=data.content, issuer_name=data.issuer_name, issuer_code=data.issuer_code,
        issuer_unit_id=issuer_unit, signer_name=data.signer_name, signer_position=data.signer_position,
        doc_date=data.doc_date, received_at=at, urgency=data.urgency.value,
        confidentiality=data.confidentiality.value, deadline=data.deadline, state=INITIAL["in"],
        created_by=viewer.user_id if viewer else None, created_at=now(), updated_at=now(),
        exchange_id=exchange_id, sender_code=sender_code, source_document_id=source_document_id,
        notes=data.notes)
    session.add(document)
    add_recipients(session, document, data.recipients)
    if not any(r.unit_id == unit for r in document.recipients):
        document.recipients.append(Recipient(unit_id=unit, name="", code="", role="to"))
    session.flush()
    record(session, document, action="receive", from_state="", to_state=document.state, actor=viewer, ip=ip,
           detail={"exchange_id": exchange_id} if exchange_id else None)
    indexing.reindex(session, document)
    return document


def create_outgoing(session: Session, viewer: Viewer, data: OutgoingIn, ip: str = "") -> Document:
    """A draft in the issuing unit's outgoing register (state `drafted`; numbered only once signed)."""
    if viewer.role not in CREATORS["out"]:
        raise NotAllowed("Chỉ chuyên viên, thư ký hoặc lãnh đạo soạn văn bản đi / "
                         "only specialists, secretaries or leaders draft outgoing documents")
    unit = _unit(session, viewer, data.unit_id)
    at = now()
    document = Document(
        register="out", unit_id=unit, year=local_date(at).year, doc_type=data.doc_type, abstract=data.abstract,
        content=data.content, drafting_unit=data.drafting_unit, signer_name=data.signer_name,
        signer_position=data.signer_position, urgency=data.urgency.value,
        confidentiality=data.confidentiality.value, deadline=data.deadline, state=INITIAL["out"],
        issuer_unit_id=unit, created_by=viewer.user_id, created_at=at, updated_at=at,
        recipients_text=data.recipients_text, notes=data.notes)
    issuer = session.get(Unit, unit)
    if issuer is not None:
        document.issuer_name, document.issuer_code = issuer.name, issuer.code
    session.add(document)
    add_recipients(session, document, data.recipients)
    session.flush()
    record(session, document, action="draft", from_state="", to_state=document.state, actor=viewer, ip=ip)
    indexing.reindex(session, document)
    return document
