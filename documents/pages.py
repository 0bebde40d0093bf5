"""The document pages: the two registers with filters and search, one document with its files,
history and the actions its reader may take, and the leader's inbox of documents to direct."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

import documents.phrases  # noqa: F401  (registers the page text)
from core.access import require_roles, staff
from core.bounds import MAX_ROW_ID, Day, RowId, Year
from core.pages import render
from core.people import Role, User
from core.request_db import db
from core.units import Unit
from documents import registers
from documents.api.deps import visible_document
from documents.attachments import attachments_of
from documents.clock import today
from documents.creation import CREATORS
from documents.dossiers import pages as dossier_pages
from documents.exchange import history as exchange_history
from documents.minutes import pages as minutes_pages
from documents.models import Recipient, Transition
from documents.registers import Filters
from documents.scope import Viewer
from documents.search import SearchFilters, search_documents
from documents.transitions import STATES, available
from documents.vocabulary import (
    CONFIDENTIALITY_LABELS,
    DOC_TYPES,
    URGENCY_LABELS,
    Register,
    Urgency,
)
from documents.workflow import STATE_LABELS

router = APIRouter(include_in_schema=False)


def _vocab(session: Session) -> dict[str, Any]:
    units = session.execute(select(Unit).order_by(Unit.code)).scalars().all()
    return {"units": units, "unit_names": {u.id: u.short_name for u in units}, "doc_types": DOC_TYPES,
            "urgency_labels": URGENCY_LABELS, "confidentiality_labels": CONFIDENTIALITY_LABELS,
            "state_labels": STATE_LABELS}


@router.get("/documents")
def register_page(
    request: Request, user: User = Depends(staff), session: Session = Depends(db),
    register: Register = Register.incoming, unit_id: RowId | None = None, year: Year | None = None,
    q: str = Query(default="", max_length=300), doc_type: str = "", state: str = "",
    urgency: Urgency | None = None, date_from: Day | None = None, date_to: Day | None = None,
    before: int | None = Query(default=None, ge=1, le=MAX_ROW_ID),
) -> Response:
    viewer = Viewer.of(session, user)
    unit = unit_id if unit_id is not None else viewer.home_unit_id
    year = year or today().year
    doc_type = doc_type if doc_type in DOC_TYPES else ""
    state = state if state in STATES[register.value] else ""
    worklist, items, next_before = [], [], None
    if q.strip():
        filters = SearchFilters(unit_id=unit_id, register=register.value, doc_type=doc_type or None,
                                state=state or None, urgency=urgency.value if urgency else None,
                                date_from=date_from, date_to=date_to)
        items = search_documents(session, viewer, q, filters, limit=50)
    elif unit is not None:
        items = registers.register_page(
            session, viewer, unit_id=unit, register=register.value, year=year,
            filters=Filters(doc_type=doc_type or None, state=state or None,
                            urgency=urgency.value if urgency else None, date_from=date_from, date_to=date_to),
            before=before)
        next_before = items[-1].number if len(items) == registers.PAGE_SIZE else None
        if before is None and viewer.acts_for(unit):
            worklist = registers.worklist(session, viewer, unit_id=unit, register=register.value)
    params = {"register": register.value, "unit_id": unit, "year": year, "q": q, "doc_type": doc_type,
              "state": state, "urgency": urgency.value if urgency else "", "date_from": date_from or "",
              "date_to": date_to or ""}
    return render(request, "documents/registers.html", {
        **_vocab(session), "register": register.value, "params": params, "entries": items, "worklist": worklist,
        "next_before": next_before, "states": STATES[register.value],
        "years": registers.years_of(session, unit, register.value) if unit else [year],
        "can_record": user.role in CREATORS["in"] and register == Register.incoming,
        "can_draft": user.role in CREATORS["out"] and register == Register.outgoing,
        "searching": bool(q.strip()),
    })


@router.get("/documents/inbox")
def inbox_page(request: Request,
               user: User = Depends(require_roles(Role.chair, Role.specialist, Role.secretary, Role.clerk)),
               session: Session = Depends(db)) -> Response:
    viewer = Viewer.of(session, user)
    return render(request, "documents/inbox.html", {
        **_vocab(session), "to_direct": registers.to_direct(session, viewer),
        "tasks": registers.my_tasks(session, viewer), "is_leader": user.role == Role.chair,
    })


@router.get("/documents/{document_id:int}")
def detail_page(document_id: RowId, request: Request, user: User = Depends(staff),
                session: Session = Depends(db)) -> Response:
    viewer = Viewer.of(session, user)
    document = visible_document(session, viewer, document_id)
    recipients = session.execute(select(Recipient).where(Recipient.document_id == document.id)
                                 .order_by(Recipient.id)).scalars().all()
    history = session.execute(select(Transition).where(Transition.document_id == document.id)
                              .order_by(Transition.id)).scalars().all()
    handlers = session.execute(select(User).where(User.role.in_([Role.specialist.value, Role.secretary.value]),
                                                  User.active.is_(True)).order_by(User.full_name)).scalars().all()
    return render(request, "documents/detail.html", {
        **_vocab(session), "doc": document, "recipients": recipients, "history": history,
        "files": attachments_of(session, document.id), "exchanges": exchange_history(session, document.id),
        "actions": [s.action for s in available(document.register, document.state, user.role)],
        "handlers": handlers, "today": today(),
    })


# The dossiers' and the minutes' pages, mounted with these by the web layer.
router.include_router(dossier_pages.router)
router.include_router(minutes_pages.router)
