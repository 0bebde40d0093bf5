"""The procedure catalog: loading the demo catalog (`data/procedures.json`) and looking procedures up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.unit_sets import UnitSet
from core.units import Unit
from documents.dossiers.models import Procedure

CATALOG = Path(__file__).parent / "data" / "procedures.json"
LEVELS = {"toan_trinh": ("Toàn trình", "Fully online"), "mot_phan": ("Một phần", "Partly online")}
TIERS = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}


def performing_kind(tier: str, unit_set: UnitSet | str) -> str | None:
    """The kind of unit that performs a procedure of `tier` (None: the procedure names its department).
    Without a district level (communes set, since 1 July 2025) communes perform the district procedures."""
    if tier == "district":
        return UnitSet(unit_set).local_kind.value
    return "commune" if tier == "commune" else None


def catalog_entries(path: Path = CATALOG) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))["procedures"]


def ensure_procedures(session: Session, province_code: str = "000.00.00.H41") -> list[Procedure]:
    """Create the catalog's procedures that are missing (matched by code); returns those created."""
    have = set(session.execute(select(Procedure.code)).scalars())
    units = {u.code: u for u in session.execute(select(Unit)).scalars()}
    created = []
    for entry in catalog_entries():
        if entry["code"] in have:
            continue
        unit = None
        if entry["tier"] == "province":
            unit = units.get(f"000.00.{entry['unit']}.{province_code[-3:]}")
            if unit is None:
                continue  # a department this installation does not have
        procedure = Procedure(code=entry["code"], name=entry["name"], field=entry["field"],
                              processing_days=entry["days"], level=entry["level"], cutoff=entry["cutoff"],
                              tier=entry["tier"], unit_id=unit.id if unit else None, active=True)
        session.add(procedure)
        created.append(procedure)
    session.flush()
    return created


def procedure_by_code(session: Session, code: str) -> Procedure | None:
    return session.execute(select(Procedure).where(Procedure.code == code)).scalar_one_or_none()


def procedure_json(p: Procedure) -> dict[str, Any]:
    return {"id": p.id, "code": p.code, "name": p.name, "field": p.field, "processing_days": p.processing_days,
            "level": p.level, "level_label": LEVELS[p.level][0], "cutoff": p.cutoff, "tier": p.tier,
            "unit": p.unit.code if p.unit else None, "unit_name": p.unit.short_name if p.unit else None,
            "active": p.active}
