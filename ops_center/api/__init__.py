"""The operations center's routes, mounted by the web layer: REST under /api/ops, pages under /ops."""

from __future__ import annotations

from fastapi import APIRouter

from ops_center import live, pages
from ops_center.api.routes import alerts, cameras

router = APIRouter(lifespan=live.lifespan)
for part in (cameras.router, alerts.router, live.router, pages.router):
    router.include_router(part)
