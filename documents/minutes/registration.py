"""Putting issued minutes in the outgoing register (through the registers' own functions): the entry
with its number and notation (`12/BB-UBND`), the attending units as recipients, the signed PDF as
its signed file, the history row and the search text; later, sending it to those units (edXML)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import User
from core.settings import get_settings
from core.units import Unit
from documents import attachments, indexing, workflow
from documents.clock import local_date
from documents.creation import add_recipients
from documents.creation import record as record_step
from documents.filestore import store_for
from documents.models import Document
from documents.schemas import RecipientIn
from documents.scope import Viewer
from documents.vocabulary import notation_for

DOC_TYPE = "BB"


def recipient_units(session: Session, unit_codes: list[str], issuer_id: int) -> list[int]:
    if not unit_codes:
        return []
    found = session.execute(select(Unit.id, Unit.code).where(Unit.code.in_(unit_codes))).all()
    by_code = {code: unit_id for unit_id, code in found}
    ids = [by_code[c] for c in dict.fromkeys(unit_codes) if c in by_code]
    return [i for i in ids if i != issuer_id]


def register_minutes(session: Session, *, issuer: Unit, number: int, year: int, subject: str, content_text: str,
                     chair_name: str, chair_position: str, recipients: list[int], pdf: bytes, clerk: User,
                     ip: str = "") -> Document:
    """The outgoing register entry of signed minutes, numbered (state `numbered`), in the caller's transaction."""
    at = datetime.now(UTC)
    notation = notation_for(DOC_TYPE, issuer.abbr or "UBND")
    document = Document(
        register="out", unit_id=issuer.id, year=year, number=number, notation=notation, code=f"{number}/{notation}",
        doc_type=DOC_TYPE, abstract=f"Biên bản {subject}"[:1000], content=content_text, issuer_name=issuer.name,
        issuer_code=issuer.code, issuer_unit_id=issuer.id, signer_name=chair_name, signer_position=chair_position,
        doc_date=local_date(at), state="numbered", created_by=clerk.id, created_at=at, updated_at=at,
    )
    session.add(document)
    add_recipients(session, document, [RecipientIn(unit_id=u) for u in recipients])
    session.flush()
    viewer = Viewer.of(session, clerk)
    record_step(session, document, action="number", from_state="", to_state="numbered", actor=viewer, ip=ip,
                detail={"number": number, "code": document.code, "source": "minutes"})
    file_name = f"bien-ban-{number}-{notation}.pdf"
    attachments.attach(session, store_for(get_settings()), document, file_name, pdf, kind="signed", viewer=viewer,
                       ip=ip, reindex=False)
    indexing.reindex(session, document)
    return document


def send_to_units(session: Session, document_id: int, clerk: User, ip: str = "") -> dict[str, Any]:
    """Issue the registered minutes: an edXML package to each attending unit (the registers' issue step)."""
    viewer = Viewer.of(session, clerk)
    step = workflow.apply_action(session, document_id, "issue", viewer, store=store_for(get_settings()), ip=ip)
    return json.loads(step.detail or "{}")
