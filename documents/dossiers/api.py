"""The dossier area's router, REST and pages together; `documents/api.py` includes `documents.dossiers.api`."""

from __future__ import annotations

from fastapi import APIRouter

from documents.dossiers import pages, rest

router = APIRouter()
router.include_router(rest.router)
router.include_router(pages.router)
