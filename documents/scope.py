"""Whose registers a person works in and which documents they may see. A unit's office (Văn phòng)
keeps its parent's registers: the clerk of VP UBND tỉnh registers the People's Committee's documents.
Confidential documents (mật, tối mật, tuyệt mật) are visible only to the unit keeping the register,
the issuing unit, and the units and people they were sent or assigned to."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, or_, select
from sqlalchemy.orm import Session

from core.people import User
from core.units import units_acted_for
from documents.models import Document, Recipient
from documents.vocabulary import Confidentiality


@dataclass(frozen=True)
class Viewer:
    user_id: int
    username: str
    full_name: str
    position: str
    role: str
    unit_ids: frozenset[int]
    home_unit_id: int | None  # the register shown first

    @classmethod
    def of(cls, session: Session, user: User) -> Viewer:
        units, home = units_acted_for(session, user.unit_id)
        return cls(user.id, user.username, user.full_name, user.position, user.role, units, home)

    def acts_for(self, unit_id: int | None) -> bool:
        return unit_id is not None and unit_id in self.unit_ids


def visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL condition: the document is unclassified, or the viewer's units/person are among its parties."""
    units = list(viewer.unit_ids)
    recipient = exists().where(
        Recipient.document_id == Document.id,
        or_(Recipient.unit_id.in_(units), Recipient.user_id == viewer.user_id))
    return or_(Document.confidentiality == Confidentiality.normal.value, Document.unit_id.in_(units),
               Document.issuer_unit_id.in_(units), recipient)


def can_see(session: Session, viewer: Viewer, document: Document) -> bool:
    if document.confidentiality == Confidentiality.normal or document.unit_id in viewer.unit_ids:
        return True
    if document.issuer_unit_id in viewer.unit_ids:
        return True
    found = session.execute(select(Recipient.id).where(
        Recipient.document_id == document.id,
        or_(Recipient.unit_id.in_(list(viewer.unit_ids)), Recipient.user_id == viewer.user_id)).limit(1)).first()
    return found is not None


def visibility_tokens(document: Document, recipient_units: list[int], recipient_users: list[int]) -> list[str]:
    """Facet tokens naming who may find the document in search (see documents.indexing)."""
    if document.confidentiality == Confidentiality.normal:
        return ["zzpub"]
    units = {document.unit_id, document.issuer_unit_id, *recipient_units} - {None}
    return [f"zzv{u}" for u in sorted(units)] + [f"zzp{p}" for p in sorted(set(recipient_users))]


def viewer_tokens(viewer: Viewer) -> list[str]:
    return ["zzpub", *(f"zzv{u}" for u in sorted(viewer.unit_ids)), f"zzp{viewer.user_id}"]
