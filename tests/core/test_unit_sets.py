"""The communes unit set (GIAOBAN_UNIT_SET=communes) as migrated and seeded: the 130 communes and wards with
an endpoint account each, no district level, the provincial hall and departments as in the default set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from core.people import Role, User
from core.province import ensure_people, ensure_units, load_config
from core.settings import Settings
from core.unit_sets import UnitSet, local_units, members
from core.units import Unit, unit_order, valid_unit_code
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def unit_set() -> str:
    return "communes"


def test_communes_and_their_endpoint_accounts_are_seeded(session, client, login) -> None:  # type: ignore[no-untyped-def]
    units = session.execute(select(Unit)).scalars().all()
    kinds = {k: sum(1 for u in units if u.kind == k) for k in {u.kind for u in units}}
    assert kinds == {"province": 1, "department": 22, "provincial_body": 3, "commune": 130}
    assert all(valid_unit_code(u.code) for u in units)
    communes = local_units(session)
    assert [u.code for u in communes] == [m.code for m in members(UnitSet.communes)]
    by_short = {u.short_name: u for u in communes}
    assert by_short["Phường Trường Vinh"].name == "Ủy ban nhân dân phường Trường Vinh"
    assert by_short["Xã Mường Xén"].abbr == "UBND"
    assert sum(u.short_name.startswith("Phường ") for u in communes) == 11
    endpoints = session.execute(select(User).where(User.role == Role.endpoint.value)).scalars().all()
    assert len(endpoints) == 130
    assert {e.unit.code for e in endpoints} == {u.code for u in communes}
    muong_xen = next(e for e in endpoints if e.username == "xa-muongxen")
    assert muong_xen.full_name == "Điểm cầu xã Mường Xén" and muong_xen.unit.short_name == "Xã Mường Xén"
    # An endpoint account logs in with the demo password and is told its commune.
    assert login(client, "phuong-cualo")["user"]["unit_name"] == "Phường Cửa Lò"
    # Seeding again (as `giaoban demo seed` does on every start) adds nothing.
    config = load_config(unit_set=UnitSet.communes)
    assert ensure_people(session, config, ensure_units(session, config), DEMO_PASSWORD) == []
    assert len(session.execute(select(Unit)).scalars().all()) == len(units)


def test_members_of_each_set() -> None:
    districts = members(UnitSet.districts)
    assert len(districts) == 21 and districts[0].short_name == "TP Vinh" and districts[0].endpoint == "dc-vinh"
    communes = members(UnitSet.communes)
    assert len(communes) == 130 and len({m.area for m in communes}) == 20
    vinh = [m.label for m in communes if m.area == "31"]
    assert vinh == ["Thành Vinh", "Trường Vinh", "Vinh Phú", "Vinh Lộc", "Cửa Lò", "Vinh Hưng"]
    assert {m.division for m in communes} == {"xã", "phường"}


def test_units_sort_by_hierarchy_not_by_text() -> None:
    """Lists sorted by unit code keep a former district's communes together (the text would not)."""
    communes = [m.code for m in members(UnitSet.communes)]
    assert sorted(communes, key=unit_order) == communes
    assert sorted(communes)[:2] == ["000.01.31.H41", "000.01.33.H41"]
    districts = [m.code for m in members(UnitSet.districts)] + ["000.00.00.H41", "000.00.11.H41"]
    assert sorted(districts, key=unit_order) == sorted(districts)


def test_unknown_unit_set_is_refused_with_the_choices(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GIAOBAN_UNIT_SET", "huyen")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "unit_set" in str(refused.value) and "'districts' or 'communes'" in str(refused.value)
