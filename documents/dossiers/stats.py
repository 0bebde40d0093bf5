"""Dossier statistics in the province's own report format, computed in the database with one grouped
scan per question (no rows are loaded into Python):

- the period summary of the I-Gate reports: dossiers received in the period (and how many online), of
  those resolved by the period's end early / on time / late, still in progress, and pending past due;
- the monthly report: new, carried over, resolved, resolved on time, resolved late, pending,
  pending overdue.
Periods are whole days in Vietnam's time, both ends included."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from core.units import Unit
from documents.dossiers.deadlines import VN_TIME
from documents.dossiers.models import Dossier, Procedure

D = Dossier


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), VN_TIME).astimezone(UTC)


def bounds(first: date, last: date) -> tuple[datetime, datetime]:
    if last < first:
        raise ValueError("the period ends before it starts")
    if last >= date.max:
        raise ValueError("the period ends after the last day of the calendar")
    return day_start(first), day_start(last + timedelta(days=1))


def on_time_rate(early: int, on_time: int, resolved: int) -> float | None:
    return round((early + on_time) / resolved, 4) if resolved else None


@dataclass
class Figures:
    received: int = 0
    online: int = 0
    resolved: int = 0
    early: int = 0
    on_time: int = 0
    late: int = 0
    in_progress: int = 0
    pending_overdue: int = 0

    @property
    def resolved_in_time(self) -> int:
        return self.early + self.on_time

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"resolved_in_time": self.resolved_in_time,
                               "online_share": round(self.online / self.received, 4) if self.received else None,
                               "on_time_rate": on_time_rate(self.early, self.on_time, self.resolved)}


def _n(expr: Any) -> Any:
    return func.coalesce(func.sum(case((expr, 1), else_=0)), 0)


def _figure_columns(end: datetime, as_of: date) -> list[Any]:
    resolved = and_(D.resolved_at.is_not(None), D.resolved_at < end)
    open_at_end = and_(or_(D.resolved_at.is_(None), D.resolved_at >= end), or_(D.closed_at.is_(None),
                                                                               D.closed_at >= end))
    return [
        func.count().label("received"),
        _n(D.channel == "online").label("online"),
        _n(resolved).label("resolved"),
        _n(and_(resolved, D.outcome == "early")).label("early"),
        _n(and_(resolved, D.outcome == "on_time")).label("on_time"),
        _n(and_(resolved, D.outcome == "late")).label("late"),
        _n(open_at_end).label("in_progress"),
        _n(and_(open_at_end, D.paused_since.is_(None), D.due_date < as_of)).label("pending_overdue"),
    ]


def _as_of(first: date, last: date, now: datetime | None) -> date:
    today = (now or datetime.now(UTC)).astimezone(VN_TIME).date()
    return max(first, min(last, today))


def _filters(unit_id: int | None, procedure_id: int | None) -> list[Any]:
    conds = []
    if unit_id is not None:
        conds.append(D.unit_id == unit_id)
    if procedure_id is not None:
        conds.append(D.procedure_id == procedure_id)
    return conds


def summary(session: Session, first: date, last: date, *, unit_id: int | None = None,
            procedure_id: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The seed's figures for the period, with breakdowns by unit and by procedure. One grouped scan by
    (unit, procedure) answers all three: the totals and breakdowns are sums of its few hundred groups."""
    start, end = bounds(first, last)
    columns = _figure_columns(end, _as_of(first, last, now))
    query = (select(D.unit_id, D.procedure_id, *columns)
             .where(D.received_at >= start, D.received_at < end, *_filters(unit_id, procedure_id))
             .group_by(D.unit_id, D.procedure_id))
    total, by_unit, by_proc = Figures(), defaultdict(Figures), defaultdict(Figures)
    names = list(Figures.__dataclass_fields__)
    for row in session.execute(query):
        values = row._mapping
        for name in names:
            n = int(values[name] or 0)
            for target in (total, by_unit[values["unit_id"]], by_proc[values["procedure_id"]]):
                setattr(target, name, getattr(target, name) + n)
    units = {u.id: u for u in session.execute(select(Unit).where(Unit.id.in_(list(by_unit)))).scalars()}
    procs = {p.id: p for p in session.execute(select(Procedure).where(Procedure.id.in_(list(by_proc)))).scalars()}
    return {
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "totals": total.as_dict(),
        "by_unit": sorted(({"unit": units[k].code, "name": units[k].short_name, "kind": units[k].kind}
                           | f.as_dict() for k, f in by_unit.items()), key=lambda r: -r["received"]),
        "by_procedure": sorted(({"procedure": procs[k].code, "name": procs[k].name, "field": procs[k].field}
                                | f.as_dict() for k, f in by_proc.items()), key=lambda r: -r["received"]),
    }


@dataclass
class MonthRow:
    month: str
    new: int
    carried_over: int
    resolved: int
    resolved_on_time: int
    resolved_late: int
    pending: int
    pending_overdue: int


def month_starts(first: date, last: date) -> list[date]:
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


def _bucket(column: Any, edges: list[datetime | date], missing: int) -> Any:
    """Which interval between consecutive edges a value falls in: -1 before the first, len(edges) - 1 after
    the last, `missing` when NULL."""
    whens = [(column.is_(None), missing), (column < edges[0], -1)]
    whens += [(column < edge, i) for i, edge in enumerate(edges[1:])]
    return case(*whens, else_=len(edges) - 1)


def monthly_report(session: Session, first: date, last: date, *, unit_id: int | None = None,
                   procedure_id: int | None = None, now: datetime | None = None) -> list[MonthRow]:
    """One row per calendar month touching [first, last] (partial months clipped to the period).

    One scan puts each dossier into month buckets (received, resolved, closed, the first month whose
    report day is past its due date) and counts the combinations; the few hundred groups are then
    folded into the report's columns here."""
    months = month_starts(first, last)
    starts = [day_start(max(first, m)) for m in months] + [bounds(first, last)[1]]
    report_days = [_as_of(max(first, m), min(last, (m + timedelta(days=32)).replace(day=1) - timedelta(days=1)),
                          now) for m in months]
    never = len(months) + 1
    rb, sb, cb = (_bucket(c, starts, never).label(n) for c, n in ((D.received_at, "rb"), (D.resolved_at, "sb"),
                                                                  (D.closed_at, "cb")))
    overdue_from = case(*[(D.due_date < day, i) for i, day in enumerate(report_days)], else_=never).label("ob")
    query = (select(rb, sb, cb, D.outcome, overdue_from, D.paused_since.is_(None).label("running"),
                    func.count().label("n"))
             .where(D.received_at < starts[-1], or_(D.resolved_at.is_(None), D.resolved_at >= starts[0]),
                    or_(D.closed_at.is_(None), D.closed_at >= starts[0]), *_filters(unit_id, procedure_id))
             .group_by(rb, sb, cb, D.outcome, overdue_from, "running"))
    rows = [MonthRow(month=m.strftime("%m/%Y"), new=0, carried_over=0, resolved=0, resolved_on_time=0,
                     resolved_late=0, pending=0, pending_overdue=0) for m in months]
    for r_b, s_b, c_b, outcome, o_b, running, n in session.execute(query):
        for m, row in enumerate(rows):
            if r_b == m:
                row.new += n
            if r_b < m and s_b >= m and c_b >= m:
                row.carried_over += n
            if s_b == m:
                row.resolved += n
                if outcome in ("early", "on_time"):
                    row.resolved_on_time += n
                elif outcome == "late":
                    row.resolved_late += n
            if r_b <= m < s_b and m < c_b:
                row.pending += n
                if running and o_b <= m:
                    row.pending_overdue += n
    return rows


def report(session: Session, first: date, last: date, *, unit_id: int | None = None,
           procedure_id: int | None = None, now: datetime | None = None) -> dict[str, Any]:
    """What the statistics API and page show: the period summary with breakdowns, and the monthly report."""
    result = summary(session, first, last, unit_id=unit_id, procedure_id=procedure_id, now=now)
    result["monthly"] = [asdict(m) for m in monthly_report(session, first, last, unit_id=unit_id,
                                                           procedure_id=procedure_id, now=now)]
    return result
