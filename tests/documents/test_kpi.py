"""The dashboard's document figures: received today, awaiting direction, overdue per lead unit;
and the register page's period filter on local (UTC+7) calendar days."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from core.db import session_scope
from documents.clock import today
from documents.creation import create_incoming
from documents.kpi import snapshot
from documents.models import Document
from documents.registers import Filters, register_page
from documents.schemas import DirectionIn, IncomingIn
from documents.search import SearchFilters, search_documents
from documents.workflow import apply_action
from tests.documents.conftest import unit_by_abbr, viewer_of


def _incoming(session, clerk, abstract: str, received_at: datetime | None = None) -> Document:  # type: ignore[no-untyped-def]
    return create_incoming(session, clerk, IncomingIn(doc_type="CV", abstract=abstract, issuer_name="Sở Tài chính",
                                                      received_at=received_at, register_now=False))


def test_snapshot_counts(writer) -> None:  # type: ignore[no-untyped-def]
    with session_scope(writer) as session:
        clerk, chair = viewer_of(session, "vanthu"), viewer_of(session, "chutoa")
        vp = unit_by_abbr(session, "VP")
        waiting = _incoming(session, clerk, "V/v quyết toán ngân sách năm 2025")
        late = _incoming(session, clerk, "V/v giải ngân vốn đầu tư công")
        _incoming(session, clerk, "V/v báo cáo tuần trước", datetime.now(UTC) - timedelta(days=3))
        for doc in (waiting, late):
            apply_action(session, doc.id, "register", clerk)
            apply_action(session, doc.id, "submit", clerk)
        apply_action(session, late.id, "direct", chair, direction=DirectionIn(lead_unit_id=vp.id, deadline=today()))
        # Time passes: the deadline was yesterday.
        session.get(Document, late.id).deadline = today() - timedelta(days=1)
    with session_scope(writer) as session:
        figures = snapshot(session, today())
    assert figures["received_today"] == 2
    assert figures["awaiting_direction"] == 1
    assert figures["in_progress"] == 1
    assert figures["overdue_by_unit"] == [{"unit_id": vp.id, "unit": vp.short_name, "count": 1}]
    with session_scope(writer) as session:
        assert snapshot(session, today() + timedelta(days=5))["received_today"] == 0


def test_period_filter_uses_local_days(writer) -> None:  # type: ignore[no-untyped-def]
    # 23:30 UTC on 1 March is 06:30 on 2 March in Vietnam.
    with session_scope(writer) as session:
        clerk = viewer_of(session, "vanthu")
        doc = _incoming(session, clerk, "V/v kiểm tra đột xuất", datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
        doc.number, doc.state = 1, "registered"
        unit, year = doc.unit_id, doc.year
    with session_scope(writer) as session:
        clerk = viewer_of(session, "vanthu")

        def page(day: date) -> list[int]:
            return [d.id for d in register_page(session, clerk, unit_id=unit, register="in", year=year,
                                                filters=Filters(date_from=day, date_to=day))]

        assert page(date(2026, 3, 2)) == [doc.id]
        assert page(date(2026, 3, 1)) == []
        found = search_documents(session, clerk, "kiem tra dot xuat",
                                 SearchFilters(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)))
        assert [d.id for d in found] == [doc.id]
        assert search_documents(session, clerk, "kiem tra dot xuat",
                                SearchFilters(date_from=date(2026, 3, 3))) == []
