"""REST: workflow actions on a document (one route for every transition of the state machine; the
sign step takes the signed PDF), attachments upload and download."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from core.access import require_roles, staff
from core.bounds import RowId
from core.errors import Kind
from core.file_answers import file_answer
from core.people import Role, User
from core.refusal_answers import refusals
from core.request_db import db, sessionmaker_of
from documents import filecheck, inspection
from documents.api.deps import (
    attachment_json,
    client_ip,
    document_json,
    store_of,
    transition_json,
    unit_names,
    visible_document,
)
from documents.attachments import add_file, may_add_file
from documents.models import Attachment, Document
from documents.schemas import ActionIn
from documents.scope import Viewer
from documents.transitions import WORKFLOW_ROLES
from documents.workflow import apply_action

router = APIRouter(prefix="/api/documents", tags=["documents"])
ACTORS = require_roles(*sorted(WORKFLOW_ROLES))


async def _read_limited(upload: UploadFile) -> bytes:
    limit = filecheck.MAX_FILE_BYTES
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"Tệp quá lớn / file too large: more than {limit} bytes")
    return data


@router.post("/{document_id:int}/actions/{action}")
def act(document_id: RowId, action: str, request: Request, body: ActionIn | None = None,
        user: User = Depends(ACTORS), session: Session = Depends(db)) -> dict[str, Any]:
    """Apply a workflow action (register, submit, direct, start, complete, return, reject, review, revise,
    approve, number, issue). 409 if the document's state does not allow it, 403 if the role or unit may not."""
    body = body or ActionIn()
    viewer = Viewer.of(session, user)
    if action == "sign":
        raise HTTPException(422, "Ký số cần tệp PDF đã ký: POST /api/documents/{id}/sign (multipart, field "
                                 "'file') / signing needs the signed PDF, use the sign route")
    step = apply_action(session, document_id, action, viewer, comment=body.comment, direction=body.direction,
                        store=store_of(request), ip=client_ip(request))
    document = visible_document(session, viewer, document_id)
    return {"transition": transition_json(step), "document": document_json(
        document, unit_names(session, {document.unit_id, document.lead_unit_id}))}


@router.post("/{document_id:int}/sign", openapi_extra=refusals(Kind.unsupported_type))
async def sign(document_id: RowId, request: Request, file: UploadFile = File(...), comment: str = Form(default=""),
               user: User = Depends(require_roles(Role.chair)), session: Session = Depends(db)) -> dict[str, Any]:
    """The leader signs: the signed PDF is kept, unchanged, as the document's signed original."""
    if len(comment) > 2000:
        raise HTTPException(422, "comment: at most 2000 characters")
    data = await _read_limited(file)
    await run_in_threadpool(_readable, request, user, document_id)
    # Opened in a worker process, before the write transaction begins.
    checked = await inspection.check(file.filename or "", data)

    def work() -> dict[str, Any]:
        viewer = Viewer.of(session, user)
        step = apply_action(session, document_id, "sign", viewer, comment=comment,
                            signed=(checked.name, data), signed_check=checked, store=store_of(request),
                            ip=client_ip(request))
        return {"transition": transition_json(step)}

    return await run_in_threadpool(work)


def _readable(request: Request, user: User, document_id: RowId) -> Document:
    """The document as the person may see it, read without taking the write lock."""
    with sessionmaker_of(request)() as reader:
        return visible_document(reader, Viewer.of(reader, user), document_id)


@router.post("/{document_id:int}/attachments", status_code=201, openapi_extra=refusals(Kind.unsupported_type))
async def upload(document_id: RowId, request: Request, file: UploadFile = File(...), kind: str = Form(default="main"),
                 user: User = Depends(require_roles(Role.clerk, Role.specialist, Role.secretary, Role.chair)),
                 session: Session = Depends(db)) -> dict[str, Any]:
    """The file is checked in a worker process (documents.inspection) before the write transaction opens, so
    a file that is slow to open never holds the database; one over the time or work budget gets 422."""
    data = await _read_limited(file)

    def may_attach() -> None:
        with sessionmaker_of(request)() as reader:
            viewer = Viewer.of(reader, user)
            may_add_file(visible_document(reader, viewer, document_id), kind=kind, viewer=viewer)

    await run_in_threadpool(may_attach)  # refusals that need no file work come first
    checked = await inspection.check(file.filename or "", data)

    def work() -> dict[str, Any]:
        viewer = Viewer.of(session, user)
        document = visible_document(session, viewer, document_id)
        item = add_file(session, store_of(request), document, name=checked.name, data=data, kind=kind,
                        viewer=viewer, ip=client_ip(request), checked=checked)
        return attachment_json(item)

    return await run_in_threadpool(work)


@router.get("/{document_id:int}/attachments/{attachment_id:int}", response_class=Response,
            responses=file_answer(*filecheck.LABEL))
def download(document_id: RowId, attachment_id: RowId, request: Request, user: User = Depends(staff),
             session: Session = Depends(db)) -> Response:
    viewer = Viewer.of(session, user)
    visible_document(session, viewer, document_id)
    item = session.get(Attachment, attachment_id)
    if item is None or item.document_id != document_id:
        raise HTTPException(404, f"Không có tệp / no attachment {attachment_id}")
    data = store_of(request).get(item.sha256)
    return Response(data, media_type=item.blob.content_type, headers={
        "Content-Disposition": f"attachment; filename*=UTF-8''{quote(item.file_name, safe='')}",
        "X-Content-SHA256": item.sha256})
