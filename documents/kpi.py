"""Figures for the operations dashboard: documents received today, awaiting a leader's direction,
being handled, and overdue per lead unit. Each is one indexed query."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.units import Unit
from documents.clock import day_start
from documents.clock import today as local_today
from documents.models import Document

OPEN = ("directed", "processing")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    return day_start(day), day_start(day + timedelta(days=1))


def snapshot(session: Session, today: date | None = None) -> dict[str, Any]:
    """`today` is the province's local day (the operations dashboard calls this without one)."""
    today = today or local_today()
    start, end = _day_bounds(today)
    received_today = session.execute(select(func.count()).select_from(Document).where(
        Document.received_at >= start, Document.received_at < end, Document.register == "in")).scalar_one()
    issued_today = session.execute(select(func.count()).select_from(Document).where(
        Document.issued_at >= start, Document.issued_at < end, Document.register == "out")).scalar_one()
    awaiting = session.execute(select(func.count()).select_from(Document).where(
        Document.state == "submitted", Document.register == "in")).scalar_one()
    in_progress = session.execute(select(func.count()).select_from(Document).where(
        Document.state.in_(OPEN))).scalar_one()
    overdue_rows = session.execute(
        select(Document.lead_unit_id, func.count()).where(Document.state.in_(OPEN), Document.deadline < today)
        .group_by(Document.lead_unit_id)).all()
    names = dict(session.execute(select(Unit.id, Unit.short_name).where(
        Unit.id.in_([u for u, _ in overdue_rows if u is not None]))).all()) if overdue_rows else {}
    overdue_by_unit = sorted(({"unit_id": unit_id, "unit": names.get(unit_id, ""), "count": count}
                              for unit_id, count in overdue_rows), key=lambda row: -row["count"])
    return {
        "date": today.isoformat(),
        "received_today": received_today,
        "issued_today": issued_today,
        "awaiting_direction": awaiting,
        "in_progress": in_progress,
        "overdue": sum(row["count"] for row in overdue_by_unit),
        "overdue_by_unit": overdue_by_unit,
    }
