"""Issued minutes in the outgoing register: the attending units as recipients of the entry that
documents.outgoing.register_signed makes (number and notation `12/BB-UBND`, the signed PDF), and later
sending it to those units (edXML, the registers' issue step)."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import User
from core.settings import get_settings
from core.units import Unit
from documents import workflow
from documents.filestore import store_for
from documents.scope import Viewer

DOC_TYPE = "BB"


def recipient_units(session: Session, unit_codes: list[str], issuer_id: int) -> list[int]:
    if not unit_codes:
        return []
    found = session.execute(select(Unit.id, Unit.code).where(Unit.code.in_(unit_codes))).all()
    by_code = {code: unit_id for unit_id, code in found}
    ids = [by_code[c] for c in dict.fromkeys(unit_codes) if c in by_code]
    return [i for i in ids if i != issuer_id]


def send_to_units(session: Session, document_id: int, clerk: User, ip: str = "") -> dict[str, Any]:
    """Issue the registered minutes: an edXML package to each attending unit (the registers' issue step)."""
    viewer = Viewer.of(session, clerk)
    step = workflow.apply_action(session, document_id, "issue", viewer, store=store_for(get_settings()), ip=ip)
    return json.loads(step.detail or "{}")
