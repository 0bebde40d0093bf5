"""The documents area's API, composed from one router module per resource under `documents/api/routes/`
(registers, workflow and files, edXML exchange, dossiers, minutes). Its pages are `documents.pages`."""

from __future__ import annotations

from fastapi import APIRouter

from documents.api.routes import dossiers, exchange, minutes, registers, workflow

router = APIRouter()
for part in (exchange.router, registers.router, workflow.router, dossiers.router, minutes.router):
    router.include_router(part)
