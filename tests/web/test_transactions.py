"""A write is stored before the client hears it succeeded; a commit that fails becomes an error answer."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Depends
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.access import require_roles
from core.people import User
from core.request_db import db


def _app_with_probe(app):  # type: ignore[no-untyped-def]
    router = APIRouter()

    @router.post("/api/_probe/{username}")
    def add(username: str, user: User = Depends(require_roles("admin")), session: Session = Depends(db)) -> dict:
        # Not flushed: a duplicate username only fails when the request's transaction commits.
        session.add(User(username=username, full_name="Probe", role="clerk", password_hash="x",
                         created_at=datetime.now(UTC)))
        return {"status": "created"}

    app.include_router(router)
    return app


def test_commit_failure_is_not_reported_as_success(app, login, session) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(_app_with_probe(app))
    login(client, "admin")
    ok = client.post("/api/_probe/probe.one")
    assert ok.status_code == 200
    # Visible to another connection as soon as the answer arrived.
    assert session.execute(select(func.count()).where(User.username == "probe.one")).scalar_one() == 1
    clash = client.post("/api/_probe/vanthu")
    assert clash.status_code == 409 and "xung đột" in clash.json()["detail"]
    assert session.execute(select(func.count()).where(User.username == "vanthu")).scalar_one() == 1
