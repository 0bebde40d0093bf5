"""The database session of one web request: committed after the handler returns, rolled back if it raises."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db(conn: HTTPConnection) -> Iterator[Session]:
    """Reads (GET, WebSockets) get a plain session; POST/PUT/PATCH/DELETE a writing one."""
    writes = conn.scope["type"] == "http" and conn.scope["method"] not in SAFE_METHODS
    factory: sessionmaker[Session] = conn.app.state.write_sessionmaker if writes else conn.app.state.sessionmaker
    session = factory()
    # The web layer commits these before the response starts, so a client never sees success for a
    # write that then fails to commit (FastAPI runs a dependency's exit after the response is sent).
    conn.scope.setdefault("state", {}).setdefault("db_sessions", []).append(session)
    try:
        yield session
        session.commit()  # no-op when already committed; WebSockets and callers outside HTTP rely on it
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def sessionmaker_of(conn: HTTPConnection, write: bool = False) -> sessionmaker[Session]:
    return conn.app.state.write_sessionmaker if write else conn.app.state.sessionmaker
