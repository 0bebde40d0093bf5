"""REST: the registers (a filtered page, or a search), recording incoming and drafting outgoing
documents, one document with its recipients and history, and the leader's inbox."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles, staff
from core.bounds import MAX_ROW_ID, Day, RowId, Year
from core.people import Role, User
from core.request_db import db
from documents import registers
from documents.api.deps import (
    attachment_json,
    client_ip,
    document_json,
    transition_json,
    unit_names,
    visible_document,
)
from documents.attachments import attachments_of
from documents.clock import today
from documents.creation import create_incoming, create_outgoing
from documents.exchange import history as exchange_history
from documents.models import Recipient, Transition
from documents.registers import Filters
from documents.schemas import IncomingIn, OutgoingIn
from documents.scope import Viewer
from documents.search import SearchFilters, search_documents
from documents.transitions import STATES, available
from documents.vocabulary import DOC_TYPES, Confidentiality, Register, Urgency
from documents.workflow import apply_action

router = APIRouter(prefix="/api/documents", tags=["documents"])
DRAFTERS = (Role.specialist, Role.secretary, Role.chair)


def _page_json(session: Session, items: list) -> list[dict[str, Any]]:
    names = unit_names(session, {d.unit_id for d in items} | {d.lead_unit_id for d in items})
    return [document_json(d, names) for d in items]


@router.get("")
def list_documents(
    user: User = Depends(staff), session: Session = Depends(db),
    register: Register = Register.incoming, unit_id: RowId | None = None, year: Year | None = None,
    q: str = Query(default="", max_length=300, description="accent-insensitive words to find"),
    doc_type: str | None = None, state: str | None = None, urgency: Urgency | None = None,
    date_from: Day | None = None, date_to: Day | None = None,
    before: int | None = Query(default=None, ge=1, le=MAX_ROW_ID, description="keyset: numbers below this one"),
    offset: int = Query(default=0, ge=0, le=10000), limit: int = Query(default=50, ge=1, le=200),
) -> dict[str, Any]:
    """One page of a unit's register for a year (newest number first), or search results when `q` is given."""
    viewer = Viewer.of(session, user)
    if doc_type is not None and doc_type not in DOC_TYPES:
        raise HTTPException(422, f"doc_type: loại văn bản không hợp lệ / unknown type {doc_type!r}")
    if state is not None and state not in STATES[register.value]:
        raise HTTPException(422, f"state: trạng thái không hợp lệ / unknown state {state!r}; "
                                 f"one of {', '.join(STATES[register.value])}")
    chosen_unit = unit_id if unit_id is not None else viewer.home_unit_id
    if q.strip():
        filters = SearchFilters(unit_id=unit_id, register=register.value, doc_type=doc_type, state=state,
                                urgency=urgency.value if urgency else None, year=year, date_from=date_from,
                                date_to=date_to)
        found = search_documents(session, viewer, q, filters, limit=min(limit, 100), offset=offset)
        more = len(found) == min(limit, 100)
        return {"mode": "search", "items": _page_json(session, found),
                "next_offset": offset + len(found) if more else None}
    if chosen_unit is None:
        return {"mode": "register", "items": [], "next_before": None}
    page = registers.register_page(
        session, viewer, unit_id=chosen_unit, register=register.value, year=year or today().year,
        filters=Filters(doc_type=doc_type, state=state, urgency=urgency.value if urgency else None,
                        date_from=date_from, date_to=date_to), before=before, limit=limit)
    next_before = page[-1].number if len(page) == limit else None
    return {"mode": "register", "unit_id": chosen_unit, "year": year or today().year,
            "items": _page_json(session, page), "next_before": next_before}


@router.get("/inbox")
def inbox(user: User = Depends(require_roles(Role.chair, Role.specialist, Role.secretary, Role.clerk)),
          session: Session = Depends(db)) -> dict[str, Any]:
    """The leader's documents to direct and the documents the person's units are handling."""
    viewer = Viewer.of(session, user)
    to_direct = registers.to_direct(session, viewer) if user.role == Role.chair else []
    return {"to_direct": _page_json(session, to_direct), "tasks": _page_json(session, registers.my_tasks(session,
                                                                                                          viewer))}


@router.post("/incoming", status_code=201)
def record_incoming(request: Request, data: IncomingIn, user: User = Depends(require_roles(Role.clerk)),
                    session: Session = Depends(db)) -> dict[str, Any]:
    """A clerk records a received document; with `register_now` it gets its arrival number at once."""
    viewer = Viewer.of(session, user)
    document = create_incoming(session, viewer, data, ip=client_ip(request))
    if data.register_now:
        apply_action(session, document.id, "register", viewer, ip=client_ip(request))
    return document_json(document, unit_names(session, {document.unit_id}))


@router.post("/outgoing", status_code=201)
def draft_outgoing(request: Request, data: OutgoingIn, user: User = Depends(require_roles(*DRAFTERS)),
                   session: Session = Depends(db)) -> dict[str, Any]:
    viewer = Viewer.of(session, user)
    document = create_outgoing(session, viewer, data, ip=client_ip(request))
    return document_json(document, unit_names(session, {document.unit_id}))


@router.get("/{document_id:int}")
def get_document(document_id: RowId, user: User = Depends(staff), session: Session = Depends(db)) -> dict[str, Any]:
    viewer = Viewer.of(session, user)
    document = visible_document(session, viewer, document_id)
    recipients = session.execute(select(Recipient).where(Recipient.document_id == document.id)
                                 .order_by(Recipient.id)).scalars().all()
    names = unit_names(session, {document.unit_id, document.lead_unit_id, *(r.unit_id for r in recipients)})
    steps = session.execute(select(Transition).where(Transition.document_id == document.id)
                            .order_by(Transition.id)).scalars().all()
    return {
        **document_json(document, names),
        "recipients": [{"unit_id": r.unit_id, "user_id": r.user_id, "name": r.name or names.get(r.unit_id or 0, ""),
                        "code": r.code, "role": r.role} for r in recipients],
        "attachments": [attachment_json(a) for a in attachments_of(session, document.id)],
        "history": [transition_json(s) for s in steps],
        "exchanges": [{"direction": e.direction, "kind": e.kind, "status_code": e.status_code,
                       "peer_code": e.peer_code, "delivered": e.delivered, "at": e.created_at.isoformat()}
                      for e in exchange_history(session, document.id)],
        "actions": [s.action for s in available(document.register, document.state, user.role)],
    }


@router.get("/vocabulary")
def vocabulary(user: User = Depends(staff)) -> dict[str, Any]:
    """Document types, urgency and confidentiality levels, as the forms offer them."""
    return {"doc_types": {k: v[0] for k, v in DOC_TYPES.items()},
            "urgency": [u.value for u in Urgency], "confidentiality": [c.value for c in Confidentiality]}
