"""Registering an outgoing document drafted and signed elsewhere in the system (signed meeting minutes),
through the transition table like every other document: it enters the register as `signed` with its
signed PDF kept unchanged (step `register_signed`), then the clerk's `number` step gives it the number
already printed in that PDF; `issue` sends it later (documents.workflow). In the caller's transaction."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.people import User
from core.units import Unit
from documents.clock import local_date, now
from documents.creation import add_recipients
from documents.errors import Invalid
from documents.filestore import FileStore
from documents.models import Document
from documents.schemas import RecipientIn
from documents.scope import Viewer
from documents.vocabulary import DOC_TYPES
from documents.workflow import apply_action


def register_signed(session: Session, *, unit: Unit, number: int, doc_type: str, abstract: str, content: str = "",
                    signer_name: str, signer_position: str, recipients: list[RecipientIn], pdf: bytes,
                    file_name: str, clerk: User, store: FileStore, source: str, ip: str = "") -> Document:
    """The register entry of a document signed elsewhere, numbered `number` (which the caller read with
    documents.numbering.peek and printed in the PDF); raises documents.workflow.NumberTaken when another
    document took that number meanwhile, so that the caller can sign again with the next one."""
    if doc_type not in DOC_TYPES:
        raise Invalid(f"doc_type: unknown document type {doc_type!r}")
    if not abstract.strip() or len(abstract) > 1000:
        raise Invalid("abstract: 1-1000 characters")
    at = now()
    document = Document(
        register="out", unit_id=unit.id, year=local_date(at).year, doc_type=doc_type, abstract=abstract.strip(),
        content=content, issuer_name=unit.name, issuer_code=unit.code, issuer_unit_id=unit.id, signer_name=signer_name,
        signer_position=signer_position, state="", created_by=clerk.id, created_at=at, updated_at=at)
    session.add(document)
    add_recipients(session, document, recipients)
    session.flush()
    viewer = Viewer.of(session, clerk)
    apply_action(session, document.id, "register_signed", viewer, signed=(file_name, pdf), store=store, ip=ip,
                 comment=source)
    apply_action(session, document.id, "number", viewer, expected_number=number, ip=ip)
    return document
