"""The province's units: the People's Committee, its departments, district-level units and the
provincial bodies that host meeting endpoints, each with its QCVN 102 code."""

from __future__ import annotations

import re
from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

# A unit's office (Văn phòng) keeps its parent's registers and acts for it.
OFFICE_ABBRS = frozenset({"VP"})

# Four levels written lowest first: NNN.NN.NN.XNN (e.g. 000.00.00.H41 = UBND tỉnh Nghệ An).
UNIT_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")


class UnitKind(StrEnum):
    province = "province"
    department = "department"
    district = "district"
    commune = "commune"
    provincial_body = "provincial_body"
    external = "external"


class Unit(Base):
    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(13), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(100))
    abbr: Mapped[str] = mapped_column(String(20), default="")
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)

    def __repr__(self) -> str:
        return f"Unit({self.code} {self.short_name})"


def valid_unit_code(code: str) -> bool:
    return bool(UNIT_CODE.match(code))


def unit_order(code: str | None) -> tuple[str, ...]:
    """Sort key putting units in the order of the hierarchy: a QCVN 102 code is written lowest level
    first, so sorting the text would list every area's commune 01 before any commune 02."""
    return tuple(reversed((code or "").split(".")))


# Meeting points as the province lists them: the districts (or communes) first, then the provincial
# bodies, then the departments; within each, by code.
_MEETING_POINT_RANK = {UnitKind.district: 0, UnitKind.commune: 0, UnitKind.provincial_body: 1,
                       UnitKind.department: 2}


def meeting_point_order(unit: Unit | None) -> tuple[int, tuple[str, ...]]:
    """Sort key of units as meeting points (console tiles, invitation lists, the endpoint registry)."""
    if unit is None:
        return (9, ())
    return (_MEETING_POINT_RANK.get(UnitKind(unit.kind), 3) if unit.kind in UnitKind.__members__ else 3,
            unit_order(unit.code))


def units_acted_for(session: Session, unit_id: int | None) -> tuple[frozenset[int], int | None]:
    """The units a person of `unit_id` works for, and the one whose registers they keep first: their own
    unit, and for the office of a unit (VP UBND tỉnh) that unit too (its clerk registers the People's
    Committee's documents)."""
    if unit_id is None:
        return frozenset(), None
    unit = session.get(Unit, unit_id)
    if unit is not None and unit.abbr in OFFICE_ABBRS and unit.parent_id is not None:
        return frozenset({unit_id, unit.parent_id}), unit.parent_id
    return frozenset({unit_id}), unit_id
