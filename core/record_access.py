"""Who may read what a meeting left behind: its attendance and timeline, its minutes and their PDF (and
the recording archive when there is one). One rule for all of them, so that no door is wider than another:

- the meeting's chair and secretary;
- the leaders (role chair) of the units that took part;
- the clerks of the unit that registers the minutes (the province's own unit unless said otherwise);
- the roles the province grants read access to every meeting record (`GIAOBAN_RECORD_READER_ROLES`,
  default `["admin"]`).

Everyone else, including staff who were not in the meeting, is refused."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import Role, User
from core.settings import get_settings
from core.units import Unit, UnitKind, units_acted_for


@dataclass(frozen=True)
class MeetingCircle:
    """The people and units a meeting's record belongs to, as each area knows them."""

    chair_id: int | None
    secretary_id: int | None
    unit_ids: frozenset[int]  # the units that attended (or were invited, while the meeting is not over)
    registering_unit_id: int | None = None  # None: the province's own unit


def province_unit_id(session: Session) -> int | None:
    return session.execute(select(Unit.id).where(Unit.kind == UnitKind.province.value).order_by(Unit.id)
                           .limit(1)).scalar_one_or_none()


def unit_ids_of_codes(session: Session, codes: Iterable[str]) -> frozenset[int]:
    wanted = [c for c in codes if c]
    if not wanted:
        return frozenset()
    return frozenset(session.execute(select(Unit.id).where(Unit.code.in_(wanted))).scalars())


def check_granted_roles(roles: Iterable[str]) -> None:
    """At start-up: every role named in GIAOBAN_RECORD_READER_ROLES exists (a typo would grant nothing)."""
    unknown = sorted(set(roles) - {r.value for r in Role})
    if unknown:
        raise ValueError(f"GIAOBAN_RECORD_READER_ROLES: unknown roles {unknown}; roles are "
                         f"{', '.join(r.value for r in Role)}")


def may_read_record(session: Session, user: User, circle: MeetingCircle,
                    granted_roles: Iterable[str] | None = None) -> bool:
    if user.id in (circle.chair_id, circle.secretary_id):
        return True
    granted = frozenset(get_settings().record_reader_roles if granted_roles is None else granted_roles)
    role = Role(user.role)
    if role.value in granted:
        return True
    if role not in (Role.chair, Role.clerk):
        return False
    units, _ = units_acted_for(session, user.unit_id)
    if role == Role.chair:
        return bool(units & circle.unit_ids)
    registering = circle.registering_unit_id
    if registering is None:
        registering = province_unit_id(session)
    return registering is not None and registering in units


REFUSAL = ("Chỉ chủ tọa, thư ký, lãnh đạo các đơn vị dự họp và văn thư vào sổ biên bản được xem hồ sơ cuộc họp / "
           "only the meeting's chair and secretary, the leaders of the units that took part and the clerks who "
           "register its minutes may read the meeting's record")
