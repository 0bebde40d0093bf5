"""The documents area's routes, composed from one router module per resource under `documents/api/routes/`
(registers, workflow and files, edXML exchange, dossiers, minutes) and the pages of each concept."""

from __future__ import annotations

from fastapi import APIRouter

from documents import pages
from documents.api.routes import dossiers, exchange, minutes, registers, workflow
from documents.dossiers import pages as dossier_pages

router = APIRouter()
for part in (exchange.router, registers.router, workflow.router, pages.router, dossiers.router,
             dossier_pages.router, minutes.router):
    router.include_router(part)
