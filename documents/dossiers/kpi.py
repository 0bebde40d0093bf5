"""Figures for the operations dashboard and its alerts: a period's dossier KPIs, and the dossiers about
to become late (due within a few working days, not paused, not resolved)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.bounds import FIRST_DAY, LAST_DAY
from documents.dossiers import stats
from documents.dossiers.calendar import default_calendar
from documents.dossiers.deadlines import VN_TIME, working_days_left
from documents.dossiers.models import Dossier
from documents.dossiers.status import IN_PROGRESS


def parse_period(period: str | tuple[date, date], now: datetime | None = None) -> tuple[date, date]:
    """`(first, last)`, or "today", "week", "month", "year", "YYYY-MM", "YYYY-MM-DD..YYYY-MM-DD"."""
    if isinstance(period, tuple):
        return period
    today = (now or datetime.now(UTC)).astimezone(VN_TIME).date()
    if period == "today":
        return today, today
    if period == "week":
        return today - timedelta(days=today.weekday()), today
    if period == "month":
        return today.replace(day=1), today
    if period == "year":
        return today.replace(month=1, day=1), today
    if ".." in period:
        first_text, last_text = period.split("..", 1)
        return _in_bounds(date.fromisoformat(first_text)), _in_bounds(date.fromisoformat(last_text))
    if len(period) == 7:
        first = _in_bounds(date.fromisoformat(period + "-01"))
        return first, _in_bounds(first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    raise ValueError(f"period {period!r}: use today, week, month, year, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")


def _in_bounds(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} nằm ngoài {FIRST_DAY.year}-{LAST_DAY.year} / lies outside the years "
                         f"{FIRST_DAY.year}-{LAST_DAY.year}")
    return day


def snapshot(session: Session, period: str | tuple[date, date] = "month",
             now: datetime | None = None) -> dict[str, Any]:
    """Received, resolved early / on time / late, in progress, on-time rate, and the same by unit."""
    first, last = parse_period(period, now)
    report = stats.summary(session, first, last, now=now)
    return {"period": report["period"], **report["totals"], "by_unit": report["by_unit"]}


def about_to_be_late(session: Session, within_working_days: int = 1, now: datetime | None = None,
                     unit_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """Dossiers in progress whose due date is today or within the next `within_working_days` working days."""
    now = now or datetime.now(UTC)
    cal = default_calendar()
    today = now.astimezone(VN_TIME).date()
    horizon = cal.add_working_days(cal.working_day_on_or_after(today), within_working_days)
    query = (select(Dossier).where(Dossier.status.in_([int(s) for s in IN_PROGRESS]),
                                   Dossier.paused_since.is_(None), Dossier.due_date >= today,
                                   Dossier.due_date <= horizon)
             .order_by(Dossier.due_date, Dossier.id).limit(limit))
    if unit_id is not None:
        query = query.where(Dossier.unit_id == unit_id)
    # Codes and dates only: this list reaches the operations screen and every staff member, who do not
    # handle these dossiers (documents.dossiers.handlers); the applicant's name stays with those who do.
    return [{"id": d.id, "code": d.code, "procedure": d.procedure.name, "unit": d.unit.short_name,
             "due_date": d.due_date.isoformat() if d.due_date else None,
             "working_days_left": working_days_left(d.due_date, now) if d.due_date else None}
            for d in session.execute(query).scalars()]
