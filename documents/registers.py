"""The register pages' queries. A page is one unit's register for one year, newest number first,
optionally filtered, paged by keyset (`before` = the last number shown) so that page 500 costs the
same as page 1; indexes (unit, register, year, [state|type|urgency], number) serve each filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from documents.clock import day_start, today
from documents.models import Document
from documents.scope import Viewer, visible_clause

PAGE_SIZE = 50
URGENCY_RANK = {"hoa_toc": 0, "thuong_khan": 1, "khan": 2, "thuong": 3}


@dataclass(frozen=True)
class Filters:
    doc_type: str | None = None
    state: str | None = None
    urgency: str | None = None
    date_from: date | None = None
    date_to: date | None = None


def _filtered(query: Select, filters: Filters, register: str) -> Select:
    if filters.doc_type:
        query = query.where(Document.doc_type == filters.doc_type)
    if filters.state:
        query = query.where(Document.state == filters.state)
    if filters.urgency:
        query = query.where(Document.urgency == filters.urgency)
    if filters.date_from or filters.date_to:
        if register == "in":  # arrival instants, compared with the local days' UTC bounds
            if filters.date_from:
                query = query.where(Document.received_at >= day_start(filters.date_from))
            if filters.date_to:
                query = query.where(Document.received_at < day_start(filters.date_to + timedelta(days=1)))
        else:
            if filters.date_from:
                query = query.where(Document.doc_date >= filters.date_from)
            if filters.date_to:
                query = query.where(Document.doc_date <= filters.date_to)
    return query


def register_page(session: Session, viewer: Viewer, *, unit_id: int, register: str, year: int,
                  filters: Filters = Filters(), before: int | None = None, limit: int = PAGE_SIZE,
                  ) -> list[Document]:
    query = select(Document).where(Document.unit_id == unit_id, Document.register == register,
                                   Document.year == year, Document.number.is_not(None))
    query = _filtered(query, filters, register)
    if before is not None:
        query = query.where(Document.number < before)
    if not viewer.acts_for(unit_id):
        query = query.where(visible_clause(viewer))
    query = query.order_by(Document.number.desc()).limit(min(max(limit, 1), 200))
    return list(session.execute(query).scalars())


def worklist(session: Session, viewer: Viewer, *, unit_id: int, register: str, limit: int = 100) -> list[Document]:
    """Entries of the unit not yet numbered: received but unregistered, or outgoing drafts before numbering."""
    year = today().year
    query = select(Document).where(Document.unit_id == unit_id, Document.register == register,
                                   Document.year.in_([year - 1, year, year + 1]), Document.number.is_(None))
    if not viewer.acts_for(unit_id):
        query = query.where(visible_clause(viewer))
    return list(session.execute(query.order_by(Document.id.desc()).limit(limit)).scalars())


def to_direct(session: Session, viewer: Viewer, limit: int = 200) -> list[Document]:
    """The leader's inbox: incoming documents submitted to the units the leader acts for, most urgent first."""
    year = today().year
    rank = case(URGENCY_RANK, value=Document.urgency, else_=9)
    query = select(Document).where(Document.unit_id.in_(list(viewer.unit_ids)), Document.register == "in",
                                   Document.year.in_([year - 1, year]), Document.state == "submitted")
    return list(session.execute(query.order_by(rank, Document.received_at, Document.id).limit(limit)).scalars())


def my_tasks(session: Session, viewer: Viewer, limit: int = 200) -> list[Document]:
    """Documents directed to the viewer's units or to the viewer, still being handled, nearest deadline first."""
    units = list(viewer.unit_ids)
    query = select(Document).where(Document.state.in_(["directed", "processing"]),
                                   Document.lead_unit_id.in_(units) | (Document.handler_id == viewer.user_id))
    query = query.order_by(Document.deadline.is_(None), Document.deadline, Document.id).limit(limit)
    return list(session.execute(query).scalars())


def years_of(session: Session, unit_id: int, register: str) -> list[int]:
    found = session.execute(select(Document.year).where(Document.unit_id == unit_id, Document.register == register)
                            .distinct()).scalars()
    years = set(found) | {today().year}
    return sorted(years, reverse=True)
