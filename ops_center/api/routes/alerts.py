"""Alerts API: the list, acknowledgement with a comment, and the rules operators tune."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from core.bounds import RowId
from core.bus import get_bus
from core.people import User
from core.request_db import db
from ops_center.access import operators, viewers
from ops_center.alerts.rules import AlertKind, RuleConfig, Severity
from ops_center.alerts.store import acknowledge, alert_json, load_rules, save_rule
from ops_center.models import Alert

router = APIRouter(tags=["ops_center"])


class AckIn(BaseModel):
    comment: str = Field(min_length=1, max_length=2000)


class RuleIn(BaseModel):
    enabled: bool = True
    severity: Severity = Severity.WARNING
    params: dict[str, int | float | str] = Field(default_factory=dict)
    camera_ids: list[str] = Field(default_factory=list, max_length=500)


RULE_PARAMS: dict[AlertKind, dict[str, tuple[float, float]]] = {
    AlertKind.MOTION_NIGHT: {"night_start_hour": (0, 23), "night_end_hour": (0, 23)},
    AlertKind.PEOPLE_OVER: {"threshold": (0, 1000)},
}


def rule_json(rule: RuleConfig) -> dict[str, Any]:
    return {"kind": str(rule.kind), "enabled": rule.enabled, "severity": str(rule.severity),
            "params": rule.params, "camera_ids": list(rule.camera_ids)}


@router.get("/api/ops/alerts")
def list_alerts(status: Literal["active", "open", "acknowledged", "resolved", "all"] = "active",
                limit: int = Query(100, ge=1, le=1000), session: Session = Depends(db),
                user: User = Depends(viewers)) -> list[dict[str, Any]]:
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if status == "active":
        query = query.where(Alert.status.in_(("open", "acknowledged")))
    elif status != "all":
        query = query.where(Alert.status == status)
    return [alert_json(a) for a in session.execute(query).scalars()]


@router.post("/api/ops/alerts/{alert_id}/ack")
async def ack_alert(alert_id: RowId, body: AckIn, request: Request, user: User = Depends(operators),
                    session: Session = Depends(db)) -> dict[str, Any]:
    def work() -> dict[str, Any]:
        # In a thread: a write waiting for SQLite's lock must not stop the event loop, where the request
        # holding the lock is waiting to commit.
        alert = acknowledge(session, alert_id=alert_id, user=user, comment=body.comment,
                            ip=request.client.host if request.client else "")
        data = alert_json(alert)
        session.commit()
        return data

    data = await run_in_threadpool(work)
    await get_bus().publish("ops.alert.acknowledged", data)
    return data


@router.get("/api/ops/rules")
def list_rules(session: Session = Depends(db), user: User = Depends(viewers)) -> list[dict[str, Any]]:
    return [rule_json(r) for r in load_rules(session).values()]


@router.put("/api/ops/rules/{kind}")
def put_rule(kind: str, body: RuleIn, session: Session = Depends(db),
             user: User = Depends(operators)) -> dict[str, Any]:
    try:
        alert_kind = AlertKind(kind)
    except ValueError as exc:
        raise HTTPException(404, f"không có loại cảnh báo {kind!r} / no alert kind {kind!r}; "
                                 f"known: {', '.join(k.value for k in AlertKind)}") from exc
    allowed = RULE_PARAMS.get(alert_kind, {})
    params: dict[str, Any] = {}
    for name, value in body.params.items():
        if name not in allowed:
            raise HTTPException(422, f"params.{name}: không dùng cho {kind} / not a parameter of {kind}")
        lo, hi = allowed[name]
        if not isinstance(value, int | float) or not lo <= value <= hi:
            raise HTTPException(422, f"params.{name}: phải là số từ {lo:g} đến {hi:g} / "
                                     f"must be a number from {lo:g} to {hi:g}")
        params[name] = int(value) if float(value).is_integer() else value
    rule = RuleConfig(alert_kind, body.enabled, body.severity, params, tuple(body.camera_ids))
    save_rule(session, rule, user.username)
    return rule_json(rule)
