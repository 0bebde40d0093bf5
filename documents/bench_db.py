"""The benchmark's throw-away database: a fresh SQLite file, or a fresh database on the PostgreSQL server
named by --database (dropped afterwards); and setting secondary indexes and full-text triggers aside
during a bulk load, to rebuild them once at the end (faster than maintaining them row by row)."""

from __future__ import annotations

import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, make_url

BULK_TABLES = ("doc_documents", "doc_search")


@contextmanager
def fresh_database(server_url: str | None, var_dir: Path) -> Iterator[str]:
    if not server_url:
        var_dir.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix="bench-documents-", dir=var_dir))
        try:
            yield f"sqlite:///{folder / 'bench.db'}"
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    url = make_url(server_url)
    if url.get_backend_name() != "postgresql":
        raise ValueError("--database must be a postgresql+psycopg:// URL (SQLite is the default)")
    name = f"giaoban_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@dataclass
class SetAside:
    indexes: list[str] = field(default_factory=list)
    triggers: list[str] = field(default_factory=list)
    fts_tables: list[str] = field(default_factory=list)


def set_aside(conn: Connection) -> SetAside:
    """Drop the bulk tables' secondary indexes (and SQLite's FTS sync triggers), remembering their DDL."""
    kept = SetAside()
    names = ", ".join(f"'{t}'" for t in BULK_TABLES)
    if conn.dialect.name == "postgresql":
        # As pg_restore --disable-triggers does: the generated rows reference units that exist, so the
        # per-row foreign-key triggers only cost time during this transaction (superusers only).
        if conn.execute(text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")).scalar():
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        rows = conn.execute(text(f"SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ({names}) "
                                 "AND indexdef NOT LIKE 'CREATE UNIQUE%'")).all()
        for index, ddl in rows:
            kept.indexes.append(ddl)
            conn.execute(text(f'DROP INDEX "{index}"'))
        return kept
    rows = conn.execute(text(f"SELECT type, name, sql FROM sqlite_master WHERE tbl_name IN ({names}) "
                             "AND type IN ('index', 'trigger') AND sql IS NOT NULL")).all()
    for kind, name, ddl in rows:
        (kept.indexes if kind == "index" else kept.triggers).append(ddl)
        conn.execute(text(f'DROP {kind.upper()} "{name}"'))
    kept.fts_tables = list(conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%fts5%' "
        "AND sql LIKE '%doc_search%'")).scalars())
    return kept


def restore(conn: Connection, kept: SetAside) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = DEFAULT"))
        # GIN and trigram builds are much faster with room to sort in memory (this transaction only).
        conn.execute(text("SET LOCAL maintenance_work_mem = '1GB'"))
    for ddl in kept.indexes:
        conn.execute(text(ddl))
    for table in kept.fts_tables:
        conn.execute(text(f"INSERT INTO {table}({table}) VALUES ('rebuild')"))
    for ddl in kept.triggers:
        conn.execute(text(ddl))
    conn.execute(text("ANALYZE"))
