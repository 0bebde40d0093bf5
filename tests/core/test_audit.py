"""The audit log notices a changed, deleted or truncated entry, and the database refuses edits."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from core.audit import record, verify
from core.db import engine_for


def _write_entries(session, settings, n: int = 5) -> None:  # type: ignore[no-untyped-def]
    for i in range(n):
        record(session, actor="vanthu", action="document.register", target=f"doc-{i}", detail={"n": i}, ip="10.0.0.1")
    session.commit()


def _tamper(settings, sql: str) -> None:  # type: ignore[no-untyped-def]
    """What an intruder with database access could do: switch off the guard and edit rows."""
    engine = engine_for(settings.database_url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
            conn.execute(text(sql))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_log_no_update"))
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
            conn.execute(text(sql))


def test_intact_chain_verifies(session, settings) -> None:  # type: ignore[no-untyped-def]
    _write_entries(session, settings)
    verdict = verify(session)
    assert verdict.ok and verdict.entries == 5


@pytest.mark.parametrize(
    ("sql", "bad_seq"),
    [
        ("UPDATE audit_log SET detail = '{\"n\": 99}' WHERE seq = 3", 3),
        ("UPDATE audit_log SET actor = 'admin' WHERE seq = 2", 2),
        ("DELETE FROM audit_log WHERE seq = 2", 2),
        ("DELETE FROM audit_log WHERE seq = 5", 5),
    ],
    ids=["changed-detail", "changed-actor", "deleted-middle", "deleted-newest"],
)
def test_tampering_is_detected(session, settings, sql: str, bad_seq: int) -> None:  # type: ignore[no-untyped-def]
    _write_entries(session, settings)
    _tamper(settings, sql)
    session.expire_all()
    verdict = verify(session)
    assert not verdict.ok
    assert verdict.seq == bad_seq


def test_database_refuses_update_and_delete(session, settings) -> None:  # type: ignore[no-untyped-def]
    _write_entries(session, settings, 2)
    for sql in ("UPDATE audit_log SET actor = 'x' WHERE seq = 1", "DELETE FROM audit_log WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(sql))
        session.rollback()


def test_cli_verify_reports_tampering(session, settings) -> None:  # type: ignore[no-untyped-def]
    from web.cli import app

    _write_entries(session, settings)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "5 entries" in ok.output
    _tamper(settings, "UPDATE audit_log SET target = 'doc-x' WHERE seq = 4")
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    assert "entry 4 was altered" in bad.output


def test_chain_needs_the_installation_secret(session, settings) -> None:  # type: ignore[no-untyped-def]
    """Recomputing hashes without the secret (kept outside the database) cannot forge a valid chain."""
    _write_entries(session, settings, 3)
    assert verify(session, key="another-installation").ok is False
