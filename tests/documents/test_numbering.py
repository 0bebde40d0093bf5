"""Number series (Decree 30/2020): consecutive numbers per unit, register and year with many writers at
once, no gap when a transaction rolls back, a fresh series each year and for each register."""

from __future__ import annotations

import threading

from sqlalchemy import select

from core.db import session_scope
from documents.creation import create_incoming
from documents.models import Document
from documents.numbering import next_number, peek
from documents.schemas import IncomingIn
from documents.workflow import apply_action
from tests.documents.conftest import unit_by_abbr, viewer_of

WRITERS, EACH = 6, 8


def _run_parallel(target) -> list[BaseException]:  # type: ignore[no-untyped-def]
    errors: list[BaseException] = []

    def guarded(index: int) -> None:
        try:
            target(index)
        except BaseException as exc:  # collected and asserted on by the test
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return errors


def test_concurrent_writers_get_consecutive_numbers(writer) -> None:  # type: ignore[no-untyped-def]
    with session_scope(writer) as session:
        unit_id = unit_by_abbr(session, "UBND").id
    taken: list[int] = []
    lock = threading.Lock()

    def take(_: int) -> None:
        for _ in range(EACH):
            with session_scope(writer) as session:
                number = next_number(session, unit_id, "out", 2026)
            with lock:
                taken.append(number)

    assert _run_parallel(take) == []
    assert sorted(taken) == list(range(1, WRITERS * EACH + 1))
    with session_scope(writer) as session:
        assert peek(session, unit_id, "out", 2026) == WRITERS * EACH
        assert peek(session, unit_id, "in", 2026) == 0  # each register has its own series
        assert next_number(session, unit_id, "out", 2027) == 1  # and each year starts again at 1


def test_rolled_back_number_is_not_lost(writer) -> None:  # type: ignore[no-untyped-def]
    with session_scope(writer) as session:
        unit_id = unit_by_abbr(session, "SYT").id
        assert next_number(session, unit_id, "in", 2026) == 1
    session = writer()
    assert next_number(session, unit_id, "in", 2026) == 2
    session.rollback()
    session.close()
    with session_scope(writer) as session:
        assert next_number(session, unit_id, "in", 2026) == 2


def test_parallel_registration_gives_unique_arrival_numbers(writer) -> None:  # type: ignore[no-untyped-def]
    """Clerks registering different documents at the same moment: arrival numbers 1..n, no duplicates."""
    ids: list[int] = []
    with session_scope(writer) as session:
        clerk = viewer_of(session, "vanthu")
        for i in range(WRITERS * 2):
            document = create_incoming(session, clerk, IncomingIn(
                doc_type="CV", code=f"{i + 1}/SYT-NVY", abstract=f"V/v báo cáo tình hình dịch bệnh tuần {i + 1}",
                issuer_name="Sở Y tế"))
            ids.append(document.id)

    def register(index: int) -> None:
        for document_id in ids[index::WRITERS]:
            with session_scope(writer) as session:
                apply_action(session, document_id, "register", viewer_of(session, "vanthu"))

    assert _run_parallel(register) == []
    with session_scope(writer) as session:
        numbers = session.execute(select(Document.number).where(Document.id.in_(ids))).scalars().all()
        states = set(session.execute(select(Document.state).where(Document.id.in_(ids))).scalars())
    assert sorted(numbers) == list(range(1, len(ids) + 1))
    assert states == {"registered"}
