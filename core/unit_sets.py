"""Which local units the province's meetings connect, chosen by `GIAOBAN_UNIT_SET`:

- `districts` (the default): the seed's 21 district-level units with the 26 meeting endpoints of the
  province's 2020 reports (the districts plus five provincial bodies), from `core/data/province.json`;
- `communes`: since 1 July 2025 (two-tier local government, Resolution 1678/NQ-UBTVQH15) the district
  level is gone and the province meets its 130 communes and wards, each with an endpoint account,
  from `core/data/communes.json` (derived from the `vietnam-provinces` package, see that file's header).

The provincial hall, the departments and the provincial bodies are units in both sets.
`local_units(session)` lists the current set's local units as database rows, `members()` the same as
data (with the area each belongs to and a short label for maps), for any area that groups by unit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.units import Unit, UnitKind

PROVINCE_JSON = Path(__file__).parent / "data" / "province.json"
COMMUNES_JSON = Path(__file__).parent / "data" / "communes.json"


class UnitSet(StrEnum):
    districts = "districts"
    communes = "communes"

    @property
    def local_kind(self) -> UnitKind:
        """The kind of unit that is the level below the province in this set."""
        return UnitKind.district if self is UnitSet.districts else UnitKind.commune


@dataclass(frozen=True)
class LocalUnit:
    """A local unit of a set: `area` is the level-2 code of the district-level area it lies in (for a
    district, its own), `label` its name without the kind of unit ("Anh Sơn" for "Xã Anh Sơn"), `division`
    "xã" or "phường" for a commune-level unit ("" for a district)."""

    code: str
    name: str
    short_name: str
    label: str
    kind: UnitKind
    division: str
    area: str
    area_name: str
    endpoint: str | None


def current(settings: Any = None) -> UnitSet:
    """The unit set of these settings (default: the process's settings)."""
    if settings is None:
        from core.settings import get_settings

        settings = get_settings()
    return UnitSet(settings.unit_set)


@lru_cache(maxsize=1)
def communes_data() -> dict[str, Any]:
    return json.loads(COMMUNES_JSON.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _province_data() -> dict[str, Any]:
    return json.loads(PROVINCE_JSON.read_text(encoding="utf-8"))


def commune_names(row: dict[str, Any]) -> tuple[str, str, str]:
    """(full name, short name, label) of a unit of communes.json: "Ủy ban nhân dân xã Anh Sơn", "Xã Anh Sơn",
    "Anh Sơn"."""
    short = row["name"]
    kind, label = short.split(" ", 1)
    return f"Ủy ban nhân dân {kind.lower()} {label}", short, label


def commune_endpoint_name(row: dict[str, Any]) -> str:
    short = row["name"]
    return f"Điểm cầu {short[0].lower()}{short[1:]}"


def with_unit_set(config: dict[str, Any], unit_set: UnitSet | str) -> dict[str, Any]:
    """The province's configuration (as in province.json) for a unit set: for `communes`, no district-level
    units, the 130 communes and wards under `communes` and their endpoints under `endpoints`."""
    if UnitSet(unit_set) is UnitSet.districts:
        return config
    rows = communes_data()["units"]
    communes = [[r["code"], *commune_names(r)[:2], "UBND"] for r in rows]
    endpoints = [{"unit": r["code"], "username": r["username"], "name": commune_endpoint_name(r)} for r in rows]
    return config | {"districts": [], "communes": communes, "endpoints": endpoints}


def members(unit_set: UnitSet | str | None = None) -> list[LocalUnit]:
    """The local units of a set (default: the current one) as data, in map order (by area)."""
    chosen = current() if unit_set is None else UnitSet(unit_set)
    province = _province_data()
    suffix = province["province"]["code"][-3:]
    area_names = {level2: short for level2, _name, short, _slug in province["districts"]}
    if chosen is UnitSet.districts:
        by_unit = {e["unit"]: e["username"] for e in province["endpoints"]}
        return [LocalUnit(f"000.00.{level2}.{suffix}", name, short, short, UnitKind.district, "", level2, short,
                          by_unit.get(level2)) for level2, name, short, _slug in province["districts"]]
    out = []
    for row in communes_data()["units"]:
        name, short, label = commune_names(row)
        out.append(LocalUnit(row["code"], name, short, label, UnitKind.commune, row["kind"], row["area"],
                             area_names[row["area"]], row["username"]))
    return out


def local_units(session: Session, unit_set: UnitSet | str | None = None) -> list[Unit]:
    """The current set's local units that the database holds (seeded), in the order of `members()`."""
    order = {m.code: i for i, m in enumerate(members(unit_set))}
    rows = session.execute(select(Unit).where(Unit.code.in_(list(order)))).scalars()
    return sorted(rows, key=lambda u: order[u.code])
