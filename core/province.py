"""Loading the province's units, meeting endpoints and demo people from configuration
(`core/data/province.json` by default, with the local units of the chosen unit set, see
`core.unit_sets`): the endpoint list is data, not code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.passwords import hash_password
from core.people import Role, User
from core.unit_sets import UnitSet, with_unit_set
from core.units import Unit, UnitKind, valid_unit_code

DEFAULT_CONFIG = Path(__file__).parent / "data" / "province.json"


@dataclass(frozen=True)
class EndpointSpec:
    username: str
    name: str
    unit_code: str


def load_config(path: Path | None = None, unit_set: UnitSet | str = UnitSet.districts) -> dict[str, Any]:
    """The province's configuration with the local units and endpoints of `unit_set` (callers that follow
    the installation's choice pass `settings.unit_set`)."""
    return with_unit_set(json.loads((path or DEFAULT_CONFIG).read_text(encoding="utf-8")), unit_set)


def unit_code(config: dict[str, Any], level2: str) -> str:
    """Level-2 units sit under the province: `000.00.NN.H41`; a full code (a commune's) stands for itself."""
    if valid_unit_code(level2):
        return level2
    province = config["province"]["code"]
    return province if level2 == "00" else f"000.00.{level2}.{province[-3:]}"


def endpoints(config: dict[str, Any]) -> list[EndpointSpec]:
    return [EndpointSpec(e["username"], e["name"], unit_code(config, e["unit"])) for e in config["endpoints"]]


@cache
def one_stop_centre_code() -> str | None:
    """The unit whose one-stop officers receive every department's province-level procedures (the
    provincial Public Administration Service Centre, Decree 61/2018): `one_stop_centre` in the config."""
    config = load_config()
    level2 = config.get("one_stop_centre")
    return unit_code(config, level2) if level2 else None


def ensure_units(session: Session, config: dict[str, Any]) -> dict[str, Unit]:
    """Create missing units; existing ones (matched by code) keep their id and get the configured names."""
    existing = {u.code: u for u in session.execute(select(Unit)).scalars()}
    p = config["province"]
    province = _upsert(existing, session, p["code"], p["name"], p["short_name"], p["abbr"], UnitKind.province, None)
    session.flush()
    groups = (("departments", UnitKind.department), ("districts", UnitKind.district),
              ("provincial_bodies", UnitKind.provincial_body), ("communes", UnitKind.commune))
    for key, kind in groups:
        for level2, name, short, abbr in config.get(key, []):
            # District units take the notation of a People's Committee; their slug is not an abbreviation.
            abbr = "UBND" if kind == UnitKind.district else abbr
            _upsert(existing, session, unit_code(config, level2), name, short, abbr, kind, province.id)
    session.flush()
    return existing


def _upsert(existing: dict[str, Unit], session: Session, code: str, name: str, short: str, abbr: str,
            kind: UnitKind, parent_id: int | None) -> Unit:
    if not valid_unit_code(code):
        raise ValueError(f"unit code {code!r} is not of the QCVN 102 form NNN.NN.NN.XNN")
    unit = existing.get(code)
    if unit is None:
        unit = Unit(code=code)
        session.add(unit)
        existing[code] = unit
    unit.name, unit.short_name, unit.abbr, unit.kind, unit.parent_id = name, short, abbr, kind.value, parent_id
    return unit


def create_user(session: Session, *, username: str, role: Role, password: str, full_name: str,
                position: str = "", unit: Unit | None = None, password_hash: str | None = None) -> User:
    """`password_hash`, when given, is a hash of `password` already made (see `ensure_people`)."""
    if session.execute(select(User.id).where(User.username == username)).first():
        raise ValueError(f"tài khoản {username!r} đã tồn tại / user {username!r} already exists")
    user = User(username=username, role=role.value, full_name=full_name, position=position,
                unit_id=unit.id if unit else None, password_hash=password_hash or hash_password(password),
                created_at=datetime.now(UTC))
    session.add(user)
    session.flush()
    return user


def ensure_people(session: Session, config: dict[str, Any], units: dict[str, Unit], password: str) -> list[User]:
    """Demo people and endpoint accounts that do not exist yet; returns those created.

    The demo accounts share one published password, so they share one hash of it too: Argon2 costs a
    third of a second per hash on a busy machine, and the communes set has 137 accounts."""
    created: list[User] = []
    have = set(session.execute(select(User.username)).scalars())
    hashed = cache(lambda: hash_password(password))

    for person in config["people"]:
        if person["username"] not in have:
            created.append(create_user(
                session, username=person["username"], role=Role(person["role"]), password=password,
                full_name=person["full_name"], position=person["position"],
                unit=units[unit_code(config, person["unit"])], password_hash=hashed()))
    for spec in endpoints(config):
        if spec.username not in have:
            created.append(create_user(session, username=spec.username, role=Role.endpoint, password=password,
                                       full_name=spec.name, position="Điểm cầu trực tuyến",
                                       unit=units[spec.unit_code], password_hash=hashed()))
    return created
