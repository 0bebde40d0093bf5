"""REST: edXML exchange — export an issued document as a package, import a received package as an
incoming document, accept a status message about one of our documents."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from core.access import require_roles, staff
from core.bounds import RowId
from core.errors import Kind
from core.file_answers import file_answer
from core.people import Role, User
from core.refusal_answers import refusals
from core.request_db import db
from documents import inspection
from documents.api.deps import client_ip, document_json, store_of, unit_names, visible_document
from documents.edxml import MAX_PACKAGE_BYTES, EdxmlError
from documents.errors import Invalid
from documents.exchange import export_package, import_package, receive_status
from documents.scope import Viewer

router = APIRouter(prefix="/api/documents", tags=["documents"])


async def _body(request: Request) -> bytes:
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_PACKAGE_BYTES:
            raise HTTPException(413, f"Gói tin quá lớn / package larger than {MAX_PACKAGE_BYTES} bytes")
        chunks.append(chunk)
    data = b"".join(chunks)
    if not data.strip():
        raise HTTPException(422, "Thiếu gói edXML trong nội dung yêu cầu / the request body must be the edXML package")
    return data


@router.get("/{document_id:int}/edxml", response_class=Response, responses=file_answer("application/xml"))
def export(document_id: RowId, request: Request, user: User = Depends(staff),
           session: Session = Depends(db)) -> Response:
    viewer = Viewer.of(session, user)
    document = visible_document(session, viewer, document_id)
    data = export_package(session, document, store_of(request))
    name = f"{document.number}-{document.year}.edxml"
    return Response(data, media_type="application/xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.post("/edxml", status_code=201, openapi_extra=refusals(Kind.unsupported_type))
async def receive_package(request: Request, unit_id: RowId | None = Query(default=None),
                          user: User = Depends(require_roles(Role.clerk)),
                          session: Session = Depends(db)) -> dict[str, Any]:
    """The body is an edXML package (application/xml); it becomes an incoming document in `received`."""
    data = await _body(request)
    try:  # read and checked in a worker process, before the write transaction begins
        prepared = await inspection.package(data)
    except EdxmlError as exc:
        raise Invalid(f"edXML: {exc}") from exc

    def work() -> dict[str, Any]:
        viewer = Viewer.of(session, user)
        document = import_package(session, data, store_of(request), viewer=viewer, unit_id=unit_id,
                                  ip=client_ip(request), prepared=prepared)
        return document_json(document, unit_names(session, {document.unit_id}))

    return await run_in_threadpool(work)


@router.post("/edxml/status", status_code=201)
async def receive_status_message(request: Request, user: User = Depends(require_roles(Role.clerk)),
                                 session: Session = Depends(db)) -> dict[str, Any]:
    data = await _body(request)

    def work():  # type: ignore[no-untyped-def]
        return receive_status(session, data, store_of(request))

    received = await run_in_threadpool(work)
    return {"document_id": received.document_id, "status_code": received.status_code,
            "from": received.peer_code}
