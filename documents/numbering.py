"""Yearly number series per unit and register (Decree 30/2020: numbers restart at 1 on 1 January).
A counter row per (unit, register, year) is locked while a number is taken, so concurrent writers
get consecutive numbers without gaps or duplicates: `SELECT ... FOR UPDATE` on PostgreSQL; on
SQLite the writing session already holds the database write lock from BEGIN IMMEDIATE."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from documents.models import Counter


def next_number(session: Session, unit_id: int, register: str, year: int) -> int:
    """Take the next number of the series inside the caller's transaction (rolled back with it)."""
    counter = _locked_counter(session, unit_id, register, year)
    counter.last_number += 1
    session.flush()
    return counter.last_number


def _locked_counter(session: Session, unit_id: int, register: str, year: int) -> Counter:
    query = (select(Counter).where(Counter.unit_id == unit_id, Counter.register == register, Counter.year == year)
             .with_for_update())
    counter = session.execute(query).scalar_one_or_none()
    if counter is not None:
        return counter
    # First number of the year: create the row without racing another writer doing the same.
    dialect = session.get_bind().dialect.name
    values = {"unit_id": unit_id, "register": register, "year": year, "last_number": 0}
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(pg_insert(Counter).values(**values).on_conflict_do_nothing())
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(sqlite_insert(Counter).values(**values).on_conflict_do_nothing())
    else:
        session.execute(insert(Counter).values(**values))
    return session.execute(query.execution_options(populate_existing=True)).scalar_one()


def peek(session: Session, unit_id: int, register: str, year: int) -> int:
    """The last number given so far (0 if none), without locking."""
    value = session.execute(select(Counter.last_number).where(
        Counter.unit_id == unit_id, Counter.register == register, Counter.year == year)).scalar_one_or_none()
    return value or 0
