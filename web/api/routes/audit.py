"""/api/audit: the append-only audit log and the check of its chain, for administrators."""

from __future__ import annotations

import json

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles
from core.audit import AuditEntry, verify
from core.people import Role, User
from core.request_db import db

router = APIRouter(tags=["admin"])
admin_only = require_roles(Role.admin)


@router.get("/api/audit")
def audit_entries(limit: int = Query(100, ge=1, le=1000), actor: str | None = Query(None, max_length=64),
                  action: str | None = Query(None, max_length=64), session: Session = Depends(db),
                  user: User = Depends(admin_only)) -> list[dict[str, object]]:
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    return [{"seq": e.seq, "at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
             "detail": json.loads(e.detail), "ip": e.ip} for e in session.execute(query).scalars()]


@router.get("/api/audit/verify")
def audit_verify(request: Request, session: Session = Depends(db),
                 user: User = Depends(admin_only)) -> dict[str, object]:
    verdict = verify(session, request.app.state.settings.secret_key)
    return {"ok": verdict.ok, "entries": verdict.entries, "problem": verdict.problem, "seq": verdict.seq}
