"""Who handles a dossier, and so may act on it and read the citizen's personal data (Decree 13/2023):
the people of the unit that resolves it (its office included, see core.units), the specialist handling
it, the officer who received it, and the one-stop officers of the desk that receives it (the district's
own desk, or the provincial centre for province-level procedures). Everyone else sees counts and codes."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from core.people import Role, User
from core.province import one_stop_centre_code
from core.units import Unit, units_acted_for
from documents.dossiers.models import Dossier, Procedure


def _centre_id(session: Session) -> int | None:
    code = one_stop_centre_code()
    if code is None:
        return None
    return session.execute(select(Unit.id).where(Unit.code == code)).scalar_one_or_none()


def serves_desk(session: Session, user: User, unit: Unit, procedure: Procedure) -> bool:
    """Whether this person works at the one-stop desk that receives `procedure` for `unit`."""
    if Role(user.role) != Role.officer:
        return False
    units, _ = units_acted_for(session, user.unit_id)
    if unit.id in units:
        return True
    return procedure.tier == "province" and _centre_id(session) in units


def handles(session: Session, user: User, dossier: Dossier) -> bool:
    if user.id in (dossier.handler_id, dossier.received_by):
        return True
    units, _ = units_acted_for(session, user.unit_id)
    return dossier.unit_id in units or serves_desk(session, user, dossier.unit, dossier.procedure)


def handled_clause(session: Session, user: User) -> ColumnElement[bool]:
    """SQL: the dossiers `user` handles (the same rule as `handles`)."""
    units, _ = units_acted_for(session, user.unit_id)
    conds: list[ColumnElement[bool]] = [Dossier.handler_id == user.id, Dossier.received_by == user.id]
    if units:
        conds.append(Dossier.unit_id.in_(list(units)))
    centre = _centre_id(session)
    if Role(user.role) == Role.officer and centre is not None and centre in units:
        conds.append(Dossier.procedure_id.in_(select(Procedure.id).where(Procedure.tier == "province")))
    return or_(*conds) if conds else false()


NOT_YOURS = ("Hồ sơ không thuộc đơn vị của bạn / this dossier is not your unit's to handle")
