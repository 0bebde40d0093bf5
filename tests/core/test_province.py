"""The province's units and endpoints as migrated and seeded on each database."""

from __future__ import annotations

from sqlalchemy import func, select

from core.people import Role, User
from core.province import endpoints, load_config
from core.units import Unit, valid_unit_code


def test_units_and_endpoints_seeded(session) -> None:  # type: ignore[no-untyped-def]
    units = session.execute(select(Unit)).scalars().all()
    kinds = {k: sum(1 for u in units if u.kind == k) for k in {u.kind for u in units}}
    assert kinds == {"province": 1, "department": 22, "district": 21, "provincial_body": 3}
    assert all(valid_unit_code(u.code) for u in units)
    province = next(u for u in units if u.kind == "province")
    assert province.code == "000.00.00.H41"
    assert {u.short_name for u in units if u.kind == "district"} >= {"TP Vinh", "Kỳ Sơn", "Yên Thành"}
    n_endpoints = session.execute(select(func.count()).where(User.role == Role.endpoint.value)).scalar_one()
    assert n_endpoints == 26 == len(endpoints(load_config()))


def test_every_role_has_a_demo_account(session) -> None:  # type: ignore[no-untyped-def]
    roles = set(session.execute(select(User.role)).scalars())
    assert roles == {r.value for r in Role}


def test_unit_code_format() -> None:
    assert valid_unit_code("000.00.00.H41")
    assert valid_unit_code("000.00.31.H41")
    for bad in ("H41", "000.00.00.h41", "00.00.00.H41", "000.00.00.H4", "000.00.00.H41 "):
        assert not valid_unit_code(bad)
