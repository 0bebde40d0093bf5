"""HTML pages of the operations center: the dashboard, the camera wall, the camera registry."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import unit_sets
from core.pages import render
from core.people import Role, User
from core.request_db import db
from core.units import Unit
from ops_center import i18n  # noqa: F401  (registers the phrases)
from ops_center.access import viewers
from ops_center.alerts.rules import CODEC_NAMES
from ops_center.models import Camera

router = APIRouter(include_in_schema=False)


def _can_operate(user: User) -> bool:
    return Role(user.role) in (Role.operator, Role.admin)


@router.get("/ops", response_class=HTMLResponse)
def dashboard_page(request: Request, user: User = Depends(viewers)) -> HTMLResponse:
    return render(request, "ops_center/dashboard.html", {"can_operate": _can_operate(user),
                                                         "unit_set": unit_sets.current().value})


@router.get("/ops/wall", response_class=HTMLResponse)
def wall_page(request: Request, session: Session = Depends(db), user: User = Depends(viewers)) -> HTMLResponse:
    rows = session.execute(select(Camera).where(Camera.enabled.is_(True)).order_by(Camera.id)).unique().scalars()
    # RTSP cameras are shown over WebRTC (their H.264 main stream, forwarded); HTTP ones from their MJPEG.
    # The page never gets a stream address: those may hold credentials.
    # A main stream found not to be H.264 shows the camera's substream pictures instead (the page keeps asking).
    cameras = [{"id": c.id, "name": c.name, "webrtc": c.stream_url.lower().startswith(("rtsp://", "rtsps://")),
                "main_codec": c.health.main_codec if c.health else None} for c in rows]
    return render(request, "ops_center/wall.html", {"cameras": cameras, "codec_names": CODEC_NAMES})


@router.get("/ops/cameras", response_class=HTMLResponse)
def cameras_page(request: Request, session: Session = Depends(db), user: User = Depends(viewers)) -> HTMLResponse:
    units = session.execute(select(Unit).order_by(Unit.code)).scalars()
    return render(request, "ops_center/cameras.html", {"units": list(units), "can_operate": _can_operate(user)})
