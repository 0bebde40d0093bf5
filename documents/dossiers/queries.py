"""Finding dossiers: the filtered, newest-first list that the list page and the API share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, true
from sqlalchemy.orm import Session

from core.units import Unit
from documents.dossiers.deadlines import VN_TIME
from documents.dossiers.models import Dossier, DossierEvent, Procedure
from documents.dossiers.stats import bounds
from documents.dossiers.status import IN_PROGRESS


class FilterError(ValueError):
    pass


@dataclass
class DossierFilter:
    status: int | None = None
    unit_code: str | None = None
    procedure_code: str | None = None
    channel: str | None = None
    received_from: date | None = None
    received_to: date | None = None
    overdue: bool = False
    q: str | None = None  # code or applicant name


def like_escaped(term: str) -> str:
    """`term` as a LIKE pattern matching itself only (with ESCAPE '\\'): % and _ are not wildcards."""
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def find(session: Session, f: DossierFilter, limit: int = 50, offset: int = 0,
         now: datetime | None = None, named: ColumnElement[bool] | None = None) -> tuple[list[Dossier], int]:
    """`named`: the dossiers whose applicant's name the reader may search by (those they handle)."""
    conds = []
    if f.status is not None:
        conds.append(Dossier.status == f.status)
    if f.unit_code:
        unit_id = session.execute(select(Unit.id).where(Unit.code == f.unit_code)).scalar_one_or_none()
        if unit_id is None:
            raise FilterError(f"unit_code: không có đơn vị mã {f.unit_code} / no such unit")
        conds.append(Dossier.unit_id == unit_id)
    if f.procedure_code:
        proc_id = session.execute(select(Procedure.id).where(Procedure.code == f.procedure_code)).scalar_one_or_none()
        if proc_id is None:
            raise FilterError(f"procedure_code: không có thủ tục mã {f.procedure_code} / no such procedure")
        conds.append(Dossier.procedure_id == proc_id)
    if f.channel:
        conds.append(Dossier.channel == f.channel)
    if f.received_from or f.received_to:
        first = f.received_from or date(2000, 1, 1)
        last = f.received_to or date(2100, 1, 1)
        try:
            start, end = bounds(first, last)
        except ValueError as exc:
            raise FilterError(f"received_to: {exc}") from exc
        conds += [Dossier.received_at >= start, Dossier.received_at < end]
    if f.overdue:
        today = (now or datetime.now(UTC)).astimezone(VN_TIME).date()
        conds += [Dossier.status.in_([int(s) for s in IN_PROGRESS]), Dossier.paused_since.is_(None),
                  Dossier.due_date < today]
    if f.q:
        term = f.q.strip()
        pattern = like_escaped(term)
        by_name = func.lower(Dossier.applicant_name).like(f"%{pattern.lower()}%", escape="\\")
        conds.append(or_(Dossier.code == term, Dossier.code.like(f"{pattern}%", escape="\\"),
                         and_(named if named is not None else true(), by_name)))
    total = session.execute(select(func.count()).select_from(Dossier).where(*conds)).scalar_one()
    rows = session.execute(select(Dossier).where(*conds).order_by(Dossier.id.desc()).limit(limit)
                           .offset(offset)).scalars().all()
    return list(rows), int(total)

def history(session: Session, dossier_id: int, personal: bool = True) -> list[dict[str, Any]]:
    """A dossier's steps, oldest first, as the API and the dossier page show them. Comments may speak of the
    applicant: `personal=False` (a reader who does not handle the dossier) leaves them out."""
    return [{"action": e.action, "from_status": e.from_status, "to_status": e.to_status, "actor": e.actor_name,
             "at": e.at.isoformat(), "comment": e.comment if personal else None}
            for e in session.execute(select(DossierEvent).where(DossierEvent.dossier_id == dossier_id)
                                     .order_by(DossierEvent.id)).scalars()]
