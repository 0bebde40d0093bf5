"""Bulk loading rows into a table as fast as each database allows: COPY on PostgreSQL, one prepared
executemany on SQLite. Used by the seed-volume generator and the documents benchmark; values go in as
plain Python values (datetimes must already be UTC)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, text
from sqlalchemy.engine import Connection


def _sqlite_value(value: Any) -> Any:
    # The same text forms SQLAlchemy's SQLite types write, so that range comparisons stay lexical.
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def copy_rows(conn: Connection, table: Table | str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    name = table if isinstance(table, str) else table.name
    count = 0
    if conn.dialect.name == "postgresql":
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    marks = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})"
    raw = conn.connection.driver_connection
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(tuple(_sqlite_value(v) for v in row))
        if len(batch) >= 20000:
            raw.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    if batch:
        raw.executemany(sql, batch)
        count += len(batch)
    return count


def next_id(conn: Connection, table: str) -> int:
    return int(conn.execute(text(f"SELECT COALESCE(MAX(id), 0) FROM {table}")).scalar_one()) + 1


def resync_sequence(conn: Connection, table: str) -> None:
    """After inserting explicit ids on PostgreSQL, move the id sequence past them."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"GREATEST((SELECT MAX(id) FROM {table}), 1))"))
