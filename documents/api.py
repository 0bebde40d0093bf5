"""The documents area's routes, composed from each concept's router: registers, workflow and files,
edXML exchange and pages (documents.routes), dossiers and minutes (their own sub-packages, included
as soon as they provide an `api` module)."""

from __future__ import annotations

import importlib

from fastapi import APIRouter

from documents.routes.api_exchange import router as exchange_router
from documents.routes.api_registers import router as registers_router
from documents.routes.api_workflow import router as workflow_router
from documents.routes.pages import router as pages_router

router = APIRouter()
router.include_router(exchange_router)
router.include_router(registers_router)
router.include_router(workflow_router)
router.include_router(pages_router)

for _name in ("documents.dossiers.api", "documents.minutes.api"):
    try:
        router.include_router(importlib.import_module(_name).router)
    except ModuleNotFoundError as exc:
        if exc.name != _name:
            raise
