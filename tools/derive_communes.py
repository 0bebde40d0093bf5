"""Derive `core/data/communes.json`, Nghệ An's 130 commune-level units since 1 July 2025, from the PyPI
package `vietnam-provinces` (the National Statistics Office's list of administrative units, offline).

    make communes-data      # downloads the two pinned wheels into var/pkgs and runs this

or by hand:

    pip download --no-deps -d var/pkgs vietnam-provinces==2025.10.1
    pip download --no-deps -d var/pkgs vietnam-provinces==0.6.0
    python tools/derive_communes.py var/pkgs/vietnam_provinces-2025.10.1-py3-none-any.whl \\
        var/pkgs/vietnam_provinces-0.6.0-py3-none-any.whl core/data/communes.json

The current wheel gives the units: name, xã or phường, statistical code. The previous one (0.6.0, the
last release with districts, data of 4 January 2025) gives each unit's area: the district-level unit
that held the commune whose statistical code the new unit carries (a merged commune keeps the code of
the commune where its People's Committee sits). The area groups units on the operations map and
gives the unit its QCVN 102 code, `000.NN.AA.H41`: AA is the area's level-2 block in
`core/data/province.json`, NN numbers the area's units in order of statistical code. The codes the
province itself assigns replace these by editing the data file."""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
import zipfile
from collections import Counter
from pathlib import Path
from typing import Any

NGHE_AN = 40  # the province's statistical code
DATA_MEMBER = "vietnam_provinces/data/nested-divisions.json"
INIT_MEMBER = "vietnam_provinces/__init__.py"
PROVINCE_JSON = Path(__file__).resolve().parent.parent / "core" / "data" / "province.json"
KINDS = {"xã": "xa", "phường": "phuong"}


def read_wheel(path: Path) -> tuple[bytes, dict[str, str]]:
    """The divisions file of a vietnam-provinces wheel (or the JSON file itself) and its versions."""
    if path.suffix == ".json":
        return path.read_bytes(), {}
    with zipfile.ZipFile(path) as wheel:
        data = wheel.read(DATA_MEMBER)
        init = wheel.read(INIT_MEMBER).decode("utf-8")
    versions = dict(re.findall(r"^__(version|data_version)__ = '([^']+)'", init, re.MULTILINE))
    return data, versions


def folded(name: str) -> str:
    """Lower case without diacritics, so that "Thái Hoà" and "Thái Hòa" are the same name."""
    decomposed = unicodedata.normalize("NFD", name.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _province(divisions: list[dict[str, Any]]) -> dict[str, Any]:
    return next(p for p in divisions if p["code"] == NGHE_AN)


def seed_areas(province_config: dict[str, Any]) -> dict[str, str]:
    """Folded district name -> level-2 code, from the seed's district-level units."""
    out = {}
    for level2, _name, short, _slug in province_config["districts"]:
        out[folded(short.removeprefix("TP ").removeprefix("TX "))] = level2
    return out


def areas_by_code(previous: list[dict[str, Any]], province_config: dict[str, Any]) -> dict[int, str]:
    """Statistical code of each commune before the reform -> level-2 code of its district."""
    blocks = seed_areas(province_config)
    out = {}
    for district in _province(previous)["districts"]:
        bare = re.sub(r"^(Thành phố|Thị xã|Huyện) ", "", district["name"])
        level2 = blocks[folded(bare)]
        for ward in district["wards"]:
            out[ward["code"]] = level2
    return out


def derive(current: bytes, previous: bytes, province_config: dict[str, Any]) -> list[dict[str, Any]]:
    units = _province(json.loads(current))["wards"]
    area_of = areas_by_code(json.loads(previous), province_config)
    rows = []
    for unit in units:
        kind = unit["division_type"]
        if kind not in KINDS:
            raise ValueError(f"{unit['name']}: unexpected division type {kind!r}")
        rows.append({"gso": unit["code"], "kind": kind, "name": unit["name"], "area": area_of[unit["code"]],
                     "username": f"{KINDS[kind]}-{unit['short_codename'].replace('_', '')}"})
    rows.sort(key=lambda r: (r["area"], r["gso"]))
    numbered: Counter[str] = Counter()
    province = province_config["province"]["code"]
    for row in rows:
        numbered[row["area"]] += 1
        row["code"] = f"000.{numbered[row['area']]:02d}.{row['area']}.{province[-3:]}"
    return [{k: row[k] for k in ("code", "gso", "kind", "name", "area", "username")} for row in rows]


def document(current_path: Path, previous_path: Path) -> dict[str, Any]:
    current, current_versions = read_wheel(current_path)
    previous, previous_versions = read_wheel(previous_path)
    province_config = json.loads(PROVINCE_JSON.read_text(encoding="utf-8"))
    units = derive(current, previous, province_config)
    counts = Counter(u["kind"] for u in units)

    def source(data: bytes, versions: dict[str, str]) -> dict[str, str]:
        return {"package": "vietnam-provinces", "version": versions.get("version", ""),
                "data_version": versions.get("data_version", ""), "file": DATA_MEMBER,
                "sha256": hashlib.sha256(data).hexdigest()}

    return {
        "about": "Nghệ An's commune-level units since 1 July 2025 (two-tier local government): "
                 "119 communes (xã) and 11 wards (phường). Derived by tools/derive_communes.py; do not edit "
                 "by hand except to put in the codes the province assigns.",
        "legal_basis": {"resolution": "1678/NQ-UBTVQH15", "issued_by": "Ủy ban Thường vụ Quốc hội",
                        "adopted": "2025-06", "in_force": "2025-07-01",
                        "title": "Nghị quyết về việc sắp xếp các đơn vị hành chính cấp xã của tỉnh Nghệ An năm 2025"},
        "source": source(current, current_versions) | {
            "publisher": "Cục Thống kê (National Statistics Office), danhmuchanhchinh.gso.gov.vn"},
        "areas_from": source(previous, previous_versions) | {
            "meaning": "the district-level unit (as of 4 January 2025) that held the commune whose statistical "
                       "code the unit carries"},
        "code_scheme": "000.NN.AA.H41: AA = the area's level-2 block in province.json, NN = the unit's number "
                       "in its area by statistical code; stands in for the codes the province assigns",
        "counts": {"xã": counts["xã"], "phường": counts["phường"], "total": len(units)},
        "units": units,
    }


def dumps(doc: dict[str, Any]) -> str:
    """Pretty JSON with one unit per line, so that a change to a unit is one line in a diff."""
    head = {k: v for k, v in doc.items() if k != "units"}
    text = json.dumps(head, ensure_ascii=False, indent=2)[:-2]
    lines = ",\n".join("    " + json.dumps(u, ensure_ascii=False) for u in doc["units"])
    return f'{text},\n  "units": [\n{lines}\n  ]\n}}\n'


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    current, previous, out = (Path(a) for a in argv)
    doc = document(current, previous)
    if doc["counts"] != {"xã": 119, "phường": 11, "total": 130}:
        print(f"unexpected counts {doc['counts']}: Resolution 1678/NQ-UBTVQH15 has 119 xã and 11 phường",
              file=sys.stderr)
        return 1
    out.write_text(dumps(doc), encoding="utf-8")
    print(f"{out}: {doc['counts']['total']} units ({doc['counts']['xã']} xã, {doc['counts']['phường']} phường) "
          f"from vietnam-provinces {doc['source']['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
