"""The operations center's routes, mounted by the web layer: REST under /api/ops and the dashboard's
socket; the pages under /ops are `ops_center.pages`."""

from __future__ import annotations

from fastapi import APIRouter

from ops_center import live
from ops_center.api.routes import alerts, cameras, wall

router = APIRouter(lifespan=live.lifespan)
for part in (cameras.router, alerts.router, wall.router, live.router):
    router.include_router(part)
