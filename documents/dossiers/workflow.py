"""Receiving dossiers and moving them through the state machine: every change is checked (status, role,
reason), written with its history row and audit entry in the caller's transaction, and described as a
bus event for the caller to publish once the transaction has committed."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record
from core.errors import DomainError, Kind
from core.people import Role, User
from core.unit_sets import current
from core.units import Unit
from documents.dossiers.calendar import CalendarRangeError
from documents.dossiers.catalog import performing_kind
from documents.dossiers.deadlines import Pause, classify, due_date, local_date, new_return_date
from documents.dossiers.handlers import NOT_YOURS, handles, serves_desk
from documents.dossiers.models import Dossier, DossierEvent, DossierPause, Procedure
from documents.dossiers.numbering import next_code
from documents.dossiers.status import ACTIONS, PAUSED, RESOLVED, Status, label


class DossierError(DomainError):
    """A refused request: `kind` says what sort of refusal, `message` what to change."""


@dataclass
class Change:
    dossier: Dossier
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)


def event_body(dossier: Dossier, **extra: Any) -> dict[str, Any]:
    return {"id": dossier.id, "code": dossier.code, "status": dossier.status, "unit": dossier.unit.code,
            "procedure": dossier.procedure.code,
            "due_date": dossier.due_date.isoformat() if dossier.due_date else None, **extra}


def _history(session: Session, dossier: Dossier, action: str, before: int | None, actor: User, at: datetime,
             comment: str, detail: dict[str, Any], ip: str) -> None:
    session.add(DossierEvent(dossier_id=dossier.id, action=action, from_status=before, to_status=dossier.status,
                             actor_id=actor.id, actor_name=actor.full_name, at=at, comment=comment,
                             detail=json.dumps(detail, ensure_ascii=False, default=str)))
    record(session, actor=actor.username, action=f"dossier.{action}", target=dossier.code,
           detail={"from": before, "to": dossier.status, "comment": comment, **detail}, ip=ip)


def _locked(session: Session, dossier_id: int) -> Dossier | None:
    # Lock only the dossier row (PostgreSQL refuses FOR UPDATE on the outer-joined catalog rows).
    return session.execute(select(Dossier).where(Dossier.id == dossier_id)
                           .with_for_update(of=Dossier)).scalar_one_or_none()


def _pauses(session: Session, dossier_id: int) -> list[Pause]:
    rows = session.execute(select(DossierPause.started_at, DossierPause.ended_at)
                           .where(DossierPause.dossier_id == dossier_id)).all()
    return [Pause(started, ended) for started, ended in rows]


def _compute_due(session: Session, dossier: Dossier, now: datetime) -> date:
    assert dossier.received_at is not None
    try:
        return due_date(dossier.received_at, dossier.procedure.processing_days, dossier.procedure.cutoff,
                        _pauses(session, dossier.id), now=now)
    except CalendarRangeError as exc:
        raise DossierError(Kind.invalid, str(exc)) from exc


def receive(session: Session, *, actor: User, procedure: Procedure, unit: Unit | None, channel: str,
            applicant_name: str, applicant_id_number: str = "", applicant_phone: str = "",
            applicant_address: str = "", note: str = "", now: datetime | None = None, ip: str = "") -> Change:
    """A dossier handed in at the one-stop desk (accepted at once, status 2) or submitted online (status 1)."""
    if Role(actor.role) != Role.officer:
        raise DossierError(Kind.not_allowed,
                           "Chỉ cán bộ một cửa được tiếp nhận hồ sơ / only one-stop officers receive dossiers")
    if not procedure.active:
        raise DossierError(Kind.invalid,
                           f"procedure_code: thủ tục {procedure.code} đã ngừng áp dụng / procedure withdrawn")
    if channel not in ("desk", "online"):
        raise DossierError(Kind.invalid, "channel: phải là 'desk' hoặc 'online' / must be 'desk' or 'online'")
    now = (now or datetime.now(UTC)).astimezone(UTC)  # SQLite keeps wall time: store UTC only
    unit = unit or procedure.unit
    if unit is None:
        raise DossierError(Kind.invalid, f"unit_code: thủ tục cấp {procedure.tier} cần mã đơn vị tiếp nhận "
                                "/ name the district or commune receiving it")
    wanted = performing_kind(procedure.tier, current())
    if (wanted and unit.kind != wanted) or (procedure.unit_id is not None and unit.id != procedure.unit_id):
        raise DossierError(Kind.invalid, f"unit_code: đơn vị {unit.code} không giải quyết thủ tục {procedure.code} "
                                "/ this unit does not handle that procedure")
    if not serves_desk(session, actor, unit, procedure):
        raise DossierError(
            Kind.not_allowed, "Bộ phận một cửa của bạn không tiếp nhận thủ tục này cho đơn vị này / your one-stop "
                                "desk does not receive this procedure for this unit")
    dossier = Dossier(code=next_code(session, unit, now), procedure=procedure, procedure_id=procedure.id,
                      unit=unit, unit_id=unit.id, channel=channel,
                      status=Status.accepted if channel == "desk" else Status.submitted,
                      applicant_name=applicant_name, applicant_id_number=applicant_id_number,
                      applicant_phone=applicant_phone, applicant_address=applicant_address, note=note,
                      submitted_at=now, received_by=actor.id if channel == "desk" else None, updated_at=now)
    if channel == "desk":
        dossier.received_at = now
    session.add(dossier)
    session.flush()
    if channel == "desk":
        dossier.due_date = _compute_due(session, dossier, now)
    _history(session, dossier, "receive", None, actor, now, "", {"channel": channel}, ip)
    session.flush()
    topic = "dossiers.received" if channel == "desk" else "dossiers.submitted"
    return Change(dossier, [(topic, event_body(dossier, channel=channel))])


def transition(session: Session, dossier_id: int, action_name: str, actor: User, comment: str = "",
               now: datetime | None = None, ip: str = "") -> Change:
    action = ACTIONS.get(action_name)
    if action is None:
        raise DossierError(Kind.invalid, f"action: không có thao tác {action_name!r}; có: {', '.join(ACTIONS)}")
    role = Role(actor.role)
    if role not in action.roles:
        who = ", ".join(sorted(r.value for r in action.roles))
        raise DossierError(Kind.not_allowed,
                           f"Thao tác '{action.label}' dành cho vai trò: {who} / not allowed for your role")
    dossier = _locked(session, dossier_id)
    if dossier is None:
        raise DossierError(Kind.not_found, f"không có hồ sơ số {dossier_id} / no such dossier")
    if not handles(session, actor, dossier):
        raise DossierError(Kind.not_allowed, NOT_YOURS)
    current = Status(dossier.status)
    if current not in action.sources or (
            action.awaiting_approval is not None and action.awaiting_approval != dossier.awaiting_approval):
        state = label(current) + (" (chờ phê duyệt)" if dossier.awaiting_approval else "")
        raise DossierError(Kind.conflict, f"Không thể '{action.label}' khi hồ sơ đang ở trạng thái '{state}' "
                                f"/ not allowed from the current status")
    comment = comment.strip()
    if action.needs_comment and not comment:
        raise DossierError(Kind.invalid, f"comment: cần ghi lý do để '{action.label}' / a reason is required")
    now = (now or datetime.now(UTC)).astimezone(UTC)  # SQLite keeps wall time: store UTC only
    before = dossier.status
    detail: dict[str, Any] = {}
    dossier.status = action.target
    dossier.updated_at = now
    events: list[tuple[str, dict[str, Any]]] = []
    if action.name == "accept":
        dossier.received_at, dossier.received_by = now, actor.id
        dossier.due_date = _compute_due(session, dossier, now)
        events.append(("dossiers.received", {}))
    elif action.name == "start":
        dossier.handler_id = actor.id
    elif action.name == "submit":
        dossier.awaiting_approval = True
    elif action.name == "send_back":
        dossier.awaiting_approval = False
    elif action.name == "approve":
        dossier.awaiting_approval = False
        dossier.resolved_at = now
        assert dossier.due_date is not None
        dossier.outcome = classify(dossier.due_date, now).value
        detail["outcome"] = dossier.outcome
        events.append(("dossiers.resolved", {"outcome": dossier.outcome}))
    elif action.name == "return_result":
        dossier.returned_at = now
        events.append(("dossiers.returned", {}))
    elif action.name in ("refuse", "withdraw"):
        dossier.closed_at = now
    if action.target in PAUSED:
        session.add(DossierPause(dossier_id=dossier.id, status=action.target, started_at=now, reason=comment))
        dossier.paused_since = now
        events.append(("dossiers.paused", {}))
    elif current in PAUSED:
        pause = session.execute(select(DossierPause).where(DossierPause.dossier_id == dossier.id,
                                                           DossierPause.ended_at.is_(None))).scalar_one_or_none()
        if pause is not None:
            pause.ended_at = now
        dossier.paused_since = None
        session.flush()
        if dossier.received_at is not None:
            dossier.due_date = _compute_due(session, dossier, now)
            detail["due_date"] = dossier.due_date.isoformat()
    _history(session, dossier, action.name, before, actor, now, comment, detail, ip)
    session.flush()
    body = event_body(dossier, action=action.name, from_status=before)
    return Change(dossier, [("dossiers.status", body)] + [(topic, body | extra) for topic, extra in events])


def apologise(session: Session, dossier_id: int, actor: User, reason: str, extra_working_days: int,
              now: datetime | None = None, ip: str = "") -> Change:
    """The apology slip for a dossier past its due date: records the reason and a new return date."""
    if Role(actor.role) not in (Role.officer, Role.specialist, Role.chair):
        raise DossierError(Kind.not_allowed,
                           "Vai trò của bạn không lập phiếu xin lỗi / your role may not issue apology slips")
    dossier = _locked(session, dossier_id)
    if dossier is None:
        raise DossierError(Kind.not_found, f"không có hồ sơ số {dossier_id} / no such dossier")
    if not handles(session, actor, dossier):
        raise DossierError(Kind.not_allowed, NOT_YOURS)
    now = (now or datetime.now(UTC)).astimezone(UTC)  # SQLite keeps wall time: store UTC only
    reason = reason.strip()
    if not reason:
        raise DossierError(Kind.invalid, "reason: cần nêu lý do chậm trễ / say why the dossier is late")
    late = dossier.due_date is not None and (
        dossier.outcome == "late" or (dossier.status not in RESOLVED and local_date(now) > dossier.due_date))
    if not late or Status(dossier.status) == Status.returned:
        raise DossierError(Kind.conflict, "Hồ sơ chưa quá hạn (hoặc đã trả kết quả): không cần phiếu xin lỗi "
                                "/ the dossier is not late, no apology slip is needed")
    try:
        dossier.new_return_date = new_return_date(now, extra_working_days)
    except (ValueError, CalendarRangeError) as exc:
        raise DossierError(Kind.invalid, f"extra_working_days: {exc}") from exc
    dossier.apology_reason, dossier.apology_at, dossier.updated_at = reason, now, now
    _history(session, dossier, "apology", dossier.status, actor, now, reason,
             {"new_return_date": dossier.new_return_date.isoformat()}, ip)
    session.flush()
    return Change(dossier, [("dossiers.apology", event_body(dossier,
                                                             new_return_date=dossier.new_return_date.isoformat()))])
