"""The operations center's routes, mounted by the web layer: REST under /api/ops, pages under /ops."""

from __future__ import annotations

from fastapi import APIRouter

from ops_center import alerts_api, cameras_api, live, pages

router = APIRouter(lifespan=live.lifespan)
for part in (cameras_api.router, alerts_api.router, live.router, pages.router):
    router.include_router(part)
