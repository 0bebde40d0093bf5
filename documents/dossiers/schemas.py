"""Request bodies of the dossier API and the JSON shape of a dossier."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from documents.dossiers.catalog import LEVELS
from documents.dossiers.deadlines import OUTCOME_LABELS, Outcome, local, working_days_left
from documents.dossiers.models import Dossier
from documents.dossiers.status import IN_PROGRESS, Status, label

UNIT_CODE = r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$"


class ReceiptIn(BaseModel):
    procedure_code: str = Field(min_length=1, max_length=32)
    unit_code: str | None = Field(default=None, pattern=UNIT_CODE)
    channel: Literal["desk", "online"] = "desk"
    applicant_name: str = Field(min_length=2, max_length=200)
    applicant_id_number: str = Field(default="", pattern=r"^(\d{9}|\d{12})?$")
    applicant_phone: str = Field(default="", max_length=20, pattern=r"^[0-9+ .()-]*$")
    applicant_address: str = Field(default="", max_length=300)
    note: str = Field(default="", max_length=1000)


class ActionIn(BaseModel):
    action: str = Field(min_length=1, max_length=24)
    comment: str = Field(default="", max_length=2000)


class ApologyIn(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)
    extra_working_days: int = Field(ge=1, le=60)


class ProcedureIn(BaseModel):
    code: str = Field(min_length=3, max_length=32, pattern=r"^[0-9A-Za-zĐđ._-]+$")
    name: str = Field(min_length=3, max_length=500)
    field: str = Field(min_length=2, max_length=200)
    processing_days: int = Field(ge=0, le=365)
    level: Literal["toan_trinh", "mot_phan"]
    cutoff: bool = False
    tier: Literal["province", "district", "commune"] = "province"
    unit_code: str | None = Field(default=None, pattern=UNIT_CODE)


def _iso(moment: datetime | None) -> str | None:
    return local(moment).isoformat(timespec="minutes") if moment else None


def dossier_json(d: Dossier, now: datetime | None = None, personal: bool = True) -> dict[str, Any]:
    """`personal=False` for a reader who does not handle the dossier (documents.dossiers.handlers): the
    applicant's name, ID number, phone and address and the notes are left out (Decree 13/2023)."""
    now = now or datetime.now(UTC)
    open_ = Status(d.status) in IN_PROGRESS
    left = working_days_left(d.due_date, now) if (d.due_date and open_ and d.paused_since is None) else None
    return {
        "id": d.id, "code": d.code, "status": d.status, "status_label": label(d.status),
        "awaiting_approval": d.awaiting_approval, "channel": d.channel,
        "procedure": {"code": d.procedure.code, "name": d.procedure.name, "field": d.procedure.field,
                      "processing_days": d.procedure.processing_days, "cutoff": d.procedure.cutoff,
                      "level": d.procedure.level, "level_label": LEVELS[d.procedure.level][0]},
        "unit": {"code": d.unit.code, "name": d.unit.short_name},
        "personal_data": personal,
        "applicant": {"name": d.applicant_name, "id_number": d.applicant_id_number, "phone": d.applicant_phone,
                      "address": d.applicant_address} if personal else None,
        "note": d.note if personal else None,
        "submitted_at": _iso(d.submitted_at), "received_at": _iso(d.received_at),
        "due_date": d.due_date.isoformat() if d.due_date else None,
        "paused_since": _iso(d.paused_since), "resolved_at": _iso(d.resolved_at),
        "outcome": d.outcome, "outcome_label": OUTCOME_LABELS[Outcome(d.outcome)] if d.outcome else None,
        "returned_at": _iso(d.returned_at), "closed_at": _iso(d.closed_at),
        "working_days_left": left, "overdue": left is not None and left < 0,
        "new_return_date": d.new_return_date.isoformat() if d.new_return_date else None,
        "apology_reason": (d.apology_reason or None) if personal else None,
    }
