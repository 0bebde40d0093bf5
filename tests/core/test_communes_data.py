"""core/data/communes.json against its source: the installed `vietnam-provinces` release it names, and the
counts of Resolution 1678/NQ-UBTVQH15 (130 = 119 communes + 11 wards)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter

import vietnam_provinces

from core.unit_sets import COMMUNES_JSON, PROVINCE_JSON, communes_data
from core.units import valid_unit_code
from tools.derive_communes import derive, dumps, read_wheel


def test_counts_are_those_of_the_resolution() -> None:
    data = communes_data()
    units = data["units"]
    assert Counter(u["kind"] for u in units) == {"xã": 119, "phường": 11}
    assert len(units) == 130 == data["counts"]["total"]
    assert data["legal_basis"]["resolution"] == "1678/NQ-UBTVQH15"
    assert data["legal_basis"]["in_force"] == "2025-07-01"


def test_names_and_statistical_codes_are_the_installed_release() -> None:
    data = communes_data()
    source = vietnam_provinces.NESTED_DIVISIONS_JSON_PATH.read_bytes()
    assert data["source"]["version"] == vietnam_provinces.__version__
    assert data["source"]["sha256"] == hashlib.sha256(source).hexdigest()
    nghe_an = next(p for p in json.loads(source) if p["name"] == "Nghệ An")
    official = {(w["code"], w["name"], w["division_type"]) for w in nghe_an["wards"]}
    assert {(u["gso"], u["name"], u["kind"]) for u in data["units"]} == official


def test_codes_accounts_and_areas_are_consistent() -> None:
    units = communes_data()["units"]
    assert all(valid_unit_code(u["code"]) for u in units)
    assert len({u["code"] for u in units}) == len({u["username"] for u in units}) == 130
    # The code's level-2 block is the unit's area, numbered 01.. within it in order of statistical code.
    for area in {u["area"] for u in units}:
        inside = [u for u in units if u["area"] == area]
        assert [u["code"] for u in inside] == [f"000.{i:02d}.{area}.H41" for i in range(1, len(inside) + 1)]
        assert [u["gso"] for u in inside] == sorted(u["gso"] for u in inside)
    by_name = {u["name"]: u for u in units}
    # Spot checks of areas against the former districts: a mountain commune, a ward of Vinh, a coastal ward.
    assert by_name["Xã Mường Xén"]["area"] == "43"  # Kỳ Sơn
    assert by_name["Phường Trường Vinh"]["area"] == "31"  # TP Vinh
    assert by_name["Phường Hoàng Mai"]["area"] == "34"  # TX Hoàng Mai
    assert by_name["Xã Anh Sơn"]["username"] == "xa-anhson"
    assert by_name["Phường Cửa Lò"]["username"] == "phuong-cualo"


def test_derivation_reproduces_the_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """tools/derive_communes.py run on the installed release gives the committed file byte for byte. The
    previous release (0.6.0, which gives the areas) cannot be installed beside it: its district lists are
    rebuilt from the committed areas, so this checks everything derived from the source but the areas."""
    data = communes_data()
    current, _ = read_wheel(vietnam_provinces.NESTED_DIVISIONS_JSON_PATH)
    province = json.loads(PROVINCE_JSON.read_text(encoding="utf-8"))
    districts = [{"name": "Huyện " + short.removeprefix("TP ").removeprefix("TX "),
                  "wards": [{"code": u["gso"]} for u in data["units"] if u["area"] == level2]}
                 for level2, _name, short, _slug in province["districts"]]
    previous = json.dumps([{"code": 40, "districts": districts}]).encode()
    assert dumps(data | {"units": derive(current, previous, province)}) == COMMUNES_JSON.read_text(encoding="utf-8")
