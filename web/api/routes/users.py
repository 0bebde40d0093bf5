"""/api/users: people's accounts, for administrators (list, create, disable or enable, unlock)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles
from core.audit import record
from core.bounds import RowId
from core.login_throttle import unlock
from core.people import Role, User
from core.province import create_user
from core.request_db import db
from core.units import Unit
from web.api.routes.login import user_json

router = APIRouter(tags=["admin"])
admin_only = require_roles(Role.admin)


class NewUser(BaseModel):
    username: str = Field(min_length=2, max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    role: Role
    full_name: str = Field(min_length=1, max_length=200)
    position: str = Field(default="", max_length=200)
    unit_code: str | None = Field(default=None, max_length=13)
    password: str = Field(min_length=8, max_length=256)


class UserChange(BaseModel):
    active: bool | None = None
    unlock: bool = False


@router.get("/api/users")
def list_users(session: Session = Depends(db), user: User = Depends(admin_only)) -> list[dict[str, object]]:
    return [user_json(u) | {"active": u.active}
            for u in session.execute(select(User).order_by(User.username)).scalars()]


@router.post("/api/users", status_code=201)
def add_user(body: NewUser, request: Request, session: Session = Depends(db),
             user: User = Depends(admin_only)) -> dict[str, object]:
    unit = None
    if body.unit_code:
        unit = session.execute(select(Unit).where(Unit.code == body.unit_code)).scalar_one_or_none()
        if unit is None:
            raise HTTPException(422, f"unit_code: không có đơn vị mã {body.unit_code} / no unit with that code")
    try:
        created = create_user(session, username=body.username, role=body.role, password=body.password,
                              full_name=body.full_name, position=body.position, unit=unit)
    except ValueError as exc:
        raise HTTPException(409, str(exc)) from exc
    record(session, actor=user.username, action="user.create", target=body.username,
           detail={"role": body.role.value, "unit": body.unit_code}, ip=request.client.host if request.client else "")
    return user_json(created)


@router.patch("/api/users/{user_id}")
def change_user(user_id: RowId, body: UserChange, request: Request, session: Session = Depends(db),
                user: User = Depends(admin_only)) -> dict[str, object]:
    target = session.get(User, user_id)
    if target is None:
        raise HTTPException(404, f"không có tài khoản số {user_id} / no such user")
    if body.active is not None:
        target.active = body.active
    if body.unlock:
        unlock(session, target.username)
    record(session, actor=user.username, action="user.change", target=target.username,
           detail=body.model_dump(), ip=request.client.host if request.client else "")
    return user_json(target) | {"active": target.active}
