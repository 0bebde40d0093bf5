"""Dossier codes `<unit code>-YYMMDD-NNNN`: a daily sequence per unit, taken with one atomic upsert so
concurrent receipts neither skip nor repeat a number (the counter row is locked until the receiving
transaction ends, and rolls back with it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.units import Unit
from documents.dossiers.deadlines import local_date
from documents.dossiers.models import DossierCounter


def format_code(unit_code: str, day: date, seq: int) -> str:
    if seq > 9999:
        raise ValueError(f"more than 9999 dossiers for unit {unit_code} on {day.isoformat()}")
    return f"{unit_code}-{day.strftime('%y%m%d')}-{seq:04d}"


def next_sequence(session: Session, unit_id: int, day: date) -> int:
    table = DossierCounter.__table__
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = postgresql.insert(table).values(unit_id=unit_id, day=day, last=1)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table).values(unit_id=unit_id, day=day, last=1)
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"unsupported database {dialect}")
    stmt = stmt.on_conflict_do_update(index_elements=["unit_id", "day"], set_={"last": table.c.last + 1})
    return int(session.execute(stmt.returning(table.c.last)).scalar_one())


def next_code(session: Session, unit: Unit, moment: datetime) -> str:
    day = local_date(moment)
    return format_code(unit.code, day, next_sequence(session, unit.id, day))

