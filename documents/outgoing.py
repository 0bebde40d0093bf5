"""Registering an outgoing document that was drafted and signed elsewhere in the system (signed
meeting minutes): it enters the outgoing register directly as issued, with its number, its signed
PDF kept unchanged, its recipients and one history entry, in the caller's transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.people import User
from core.units import Unit
from documents import indexing
from documents.attachments import attach
from documents.clock import local_date, now
from documents.creation import record
from documents.errors import Invalid
from documents.filestore import FileStore
from documents.models import Document, Recipient
from documents.scope import Viewer
from documents.vocabulary import DOC_TYPES, notation_for


def register_outgoing(session: Session, *, unit_id: int, number: int, abstract: str, signer_name: str,
                      signer_position: str, issued_at: datetime, recipients: list[tuple[int | None, str]],
                      main_pdf: bytes, file_name: str, actor: User, store: FileStore, doc_type: str = "BB",
                      ) -> Document:
    """`number` comes from documents.numbering.next_number(session, unit_id, "out", year) in this transaction."""
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise Invalid(f"unit_id: không có đơn vị / no such unit {unit_id}")
    if doc_type not in DOC_TYPES:
        raise Invalid(f"doc_type: unknown document type {doc_type!r}")
    if not abstract.strip() or len(abstract) > 500:
        raise Invalid("abstract: 1-500 characters")
    notation = notation_for(doc_type, unit.abbr)
    day = local_date(issued_at)
    document = Document(
        register="out", unit_id=unit_id, year=day.year, number=number, notation=notation,
        code=f"{number}/{notation}", doc_type=doc_type, abstract=abstract.strip(), issuer_name=unit.name,
        issuer_code=unit.code, issuer_unit_id=unit_id, signer_name=signer_name, signer_position=signer_position,
        doc_date=day, issued_at=issued_at, state="issued", created_by=actor.id, created_at=now(),
        updated_at=now(), recipients_text="; ".join(name for _, name in recipients if name))
    session.add(document)
    for recipient_unit, name in recipients:
        code = ""
        if recipient_unit is not None:
            target = session.get(Unit, recipient_unit)
            if target is None:
                raise Invalid(f"recipients: không có đơn vị / no such unit {recipient_unit}")
            code, name = target.code, name or target.name
        document.recipients.append(Recipient(unit_id=recipient_unit, name=name, code=code, role="to"))
    session.flush()
    viewer = Viewer.of(session, actor)
    attach(session, store, document, file_name, main_pdf, kind="signed", viewer=viewer, reindex=False)
    record(session, document, action="issue", from_state="", to_state="issued", actor=viewer,
           detail={"number": number, "code": document.code, "registered_from": "signed elsewhere"})
    indexing.reindex(session, document)
    return document
