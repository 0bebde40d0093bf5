"""/api/units: the province's units, for everyone working here (forms that name a unit)."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import staff
from core.people import User
from core.request_db import db
from core.units import Unit

router = APIRouter(tags=["admin"])


@router.get("/api/units")
def list_units(session: Session = Depends(db), user: User = Depends(staff)) -> list[dict[str, object]]:
    units = session.execute(select(Unit).order_by(Unit.code)).scalars()
    return [{"id": u.id, "code": u.code, "name": u.name, "short_name": u.short_name, "abbr": u.abbr,
             "kind": u.kind, "parent_id": u.parent_id} for u in units]
