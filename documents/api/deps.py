"""What every documents route shares: the acting person as a Viewer, the file store, and the JSON shape of a
document. (Refusals of the services, documents.errors and documents.filecheck.FileRejected, are answered by
the web layer's handler of core.errors.DomainError: routes let them through.)"""

from __future__ import annotations

import json
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.units import Unit
from documents.filestore import FileStore
from documents.models import Attachment, Document, Transition
from documents.scope import Viewer, can_see
from documents.vocabulary import CONFIDENTIALITY_LABELS, URGENCY_LABELS, type_name
from documents.workflow import STATE_LABELS


def store_of(request: Request) -> FileStore:
    return FileStore(request.app.state.settings.files_dir)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def visible_document(session: Session, viewer: Viewer, document_id: int) -> Document:
    """The document, or 404 — also when it is confidential and not the viewer's to see."""
    document = session.get(Document, document_id)
    if document is None or not can_see(session, viewer, document):
        raise HTTPException(404, f"Không có văn bản / no document {document_id}")
    return document


def unit_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i is not None]
    if not wanted:
        return {}
    return dict(session.execute(select(Unit.id, Unit.short_name).where(Unit.id.in_(wanted))).all())


def document_json(document: Document, units: dict[int, str] | None = None) -> dict[str, Any]:
    units = units or {}
    return {
        "id": document.id, "register": document.register, "unit_id": document.unit_id,
        "unit": units.get(document.unit_id, ""), "year": document.year, "number": document.number,
        "notation": document.notation, "code": document.code, "doc_type": document.doc_type,
        "doc_type_name": type_name(document.doc_type), "abstract": document.abstract,
        "issuer_name": document.issuer_name, "issuer_code": document.issuer_code,
        "signer_name": document.signer_name, "signer_position": document.signer_position,
        "doc_date": document.doc_date.isoformat() if document.doc_date else None,
        "received_at": document.received_at.isoformat() if document.received_at else None,
        "issued_at": document.issued_at.isoformat() if document.issued_at else None,
        "urgency": document.urgency, "urgency_label": URGENCY_LABELS[document.urgency][0],
        "confidentiality": document.confidentiality,
        "confidentiality_label": CONFIDENTIALITY_LABELS[document.confidentiality][0],
        "deadline": document.deadline.isoformat() if document.deadline else None,
        "state": document.state, "state_label": STATE_LABELS.get(document.state, document.state),
        "lead_unit_id": document.lead_unit_id, "lead_unit": units.get(document.lead_unit_id or 0, ""),
        "handler_id": document.handler_id, "source_document_id": document.source_document_id,
        "exchange_id": document.exchange_id, "recipients_text": document.recipients_text,
        "notes": document.notes,
    }


def transition_json(step: Transition) -> dict[str, Any]:
    return {"id": step.id, "action": step.action, "from_state": step.from_state, "to_state": step.to_state,
            "actor_id": step.actor_id, "actor_name": step.actor_name, "at": step.at.isoformat(),
            "comment": step.comment, "detail": json.loads(step.detail or "{}")}


def attachment_json(item: Attachment) -> dict[str, Any]:
    return {"id": item.id, "file_name": item.file_name, "kind": item.kind, "sha256": item.sha256,
            "size": item.blob.size, "content_type": item.blob.content_type,
            "uploaded_at": item.uploaded_at.isoformat(),
            "url": f"/api/documents/{item.document_id}/attachments/{item.id}"}
