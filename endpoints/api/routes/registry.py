"""Endpoint routes: health reports from the agents (role endpoint, each for itself only), the
registry as JSON and as the operators' page `/endpoints` (operator, admin)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles
from core.bounds import RowId
from core.pages import render
from core.people import Role, User
from core.request_db import db
from endpoints import alerts, texts
from endpoints.models import EndpointAlert
from endpoints.registry import aware, record_health, registry

texts.register_texts()


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    task = asyncio.ensure_future(alerts.watch(app.state.write_sessionmaker, interval=alerts.CHECK_EVERY_S))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


router = APIRouter(tags=["endpoints"], lifespan=lifespan)
operators = require_roles(Role.operator, Role.admin)
endpoint_only = require_roles(Role.endpoint)

Status = Literal["starting", "connecting", "waiting", "joining", "in_meeting", "reconnecting", "failed", "stopped"]
DeviceState = Literal["", "off", "ok", "test", "lost", "starting"]


class HealthReport(BaseModel):
    """What an agent reports every few seconds. Unknown extra figures are kept as detail."""

    model_config = ConfigDict(extra="allow")

    status: Status
    meeting_id: RowId | None = None
    meeting_title: str | None = Field(default="", max_length=300)
    camera: DeviceState = ""
    microphone: DeviceState = ""
    cpu_pct: float | None = Field(default=None, ge=0, le=6400)
    bitrate_out_kbps: float | None = Field(default=None, ge=0, le=1_000_000)
    bitrate_in_kbps: float | None = Field(default=None, ge=0, le=1_000_000)
    loss_pct: float | None = Field(default=None, ge=0, le=100)
    rtt_ms: float | None = Field(default=None, ge=0, le=600_000)
    software_version: str = Field(default="", max_length=40)
    rejoins: int = Field(default=0, ge=0)
    last_rejoin_s: float | None = Field(default=None, ge=0)
    last_error: str = Field(default="", max_length=300)

    @model_validator(mode="after")
    def _small_extras(self) -> HealthReport:
        extra = json.dumps(self.model_extra or {}, default=str)
        if len(extra) > 4000:
            raise ValueError(f"extra figures take {len(extra)} characters; at most 4000")
        return self


@router.post("/api/endpoints/{endpoint_id}/health", status_code=204)
def report_health(endpoint_id: str, body: HealthReport, request: Request,
                  user: User = Depends(endpoint_only), session: Session = Depends(db)) -> None:
    if endpoint_id != user.username:
        raise HTTPException(403, f"Điểm cầu {user.username} chỉ báo cáo cho chính mình / an endpoint reports "
                                 f"only for itself, not for {endpoint_id!r}")
    report = body.model_dump()
    report["meeting_title"] = report.get("meeting_title") or ""
    record_health(session, user, report, request.client.host if request.client else "")


@router.get("/api/endpoints")
def list_endpoints(user: User = Depends(operators), session: Session = Depends(db)) -> dict[str, object]:
    rows = registry(session)
    return {"endpoints": [row.as_json() for row in rows],
            "online": sum(1 for row in rows if row.online), "total": len(rows),
            "alerts": [row.as_json() for row in rows if row.alert is not None]}


@router.get("/api/endpoints/alerts")
def alert_history(user: User = Depends(operators), session: Session = Depends(db)) -> list[dict[str, object]]:
    query = select(EndpointAlert).order_by(EndpointAlert.raised_at.desc()).limit(200)
    return [{"endpoint": a.user.username, "name": a.user.full_name, "meeting_id": a.meeting_id,
             "raised_at": aware(a.raised_at).isoformat(),
             "cleared_at": aware(a.cleared_at).isoformat() if a.cleared_at else None}
            for a in session.execute(query).scalars()]


@router.get("/endpoints", include_in_schema=False)
def registry_page(request: Request, user: User = Depends(operators), session: Session = Depends(db)) -> HTMLResponse:
    rows = registry(session)
    return render(request, "endpoints/registry.html", {
        "rows": rows, "online": sum(1 for row in rows if row.online), "total": len(rows),
        "alerts": [row for row in rows if row.alert is not None]})
