"""The conference area's routes, mounted by the web layer: one router module per resource under
`conference/api/routes/`, and the archive's playback (its API, page and files)."""

from __future__ import annotations

from fastapi import APIRouter

from conference.api.routes import meetings
from conference.archive import playback

router = APIRouter()
router.include_router(meetings.router)
router.include_router(playback.router)

__all__ = ["router"]
