"""REST routes of the dossier area: /api/procedures and /api/dossiers (receipt, list, detail, actions,
apology slips, statistics, KPIs and the about-to-be-late list)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles, staff
from core.audit import record
from core.bounds import Day, RowId
from core.bus import get_bus
from core.people import Role, User
from core.request_db import db
from core.units import Unit
from documents.dossiers import kpi, stats
from documents.dossiers.catalog import procedure_by_code, procedure_json
from documents.dossiers.handlers import handled_clause, handles
from documents.dossiers.models import Dossier, DossierPause, Procedure
from documents.dossiers.queries import DossierFilter, FilterError, find, history
from documents.dossiers.schemas import ActionIn, ApologyIn, ProcedureIn, ReceiptIn, dossier_json
from documents.dossiers.status import WORKFLOW_ROLES, available
from documents.dossiers.workflow import Change, apologise, receive, transition

router = APIRouter(tags=["dossiers"])
officer_only = require_roles(Role.officer)
workflow_roles = require_roles(*WORKFLOW_ROLES)
admin_only = require_roles(Role.admin)


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


async def publish(events: list[tuple[str, dict[str, Any]]]) -> None:
    bus = get_bus()
    for topic, body in events:
        await bus.publish(topic, body)


def _apply(change_fn: Any, background: BackgroundTasks) -> Change:
    """Run a change (its DossierError refusals reach the web layer's handler) and publish its events."""
    change: Change = change_fn()
    # Published after the response, i.e. after the request's transaction has committed.
    background.add_task(publish, change.events)
    return change


def _unit(session: Session, code: str | None) -> Unit | None:
    if code is None:
        return None
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise HTTPException(422, f"unit_code: không có đơn vị mã {code} / no such unit")
    return unit


def _dossier(session: Session, dossier_id: RowId) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise HTTPException(404, f"không có hồ sơ số {dossier_id} / no such dossier")
    return dossier


def _period(first: date | None, last: date | None) -> tuple[date, date]:
    if first is None or last is None:
        raise HTTPException(422, "from, to: cần cả ngày bắt đầu và ngày kết thúc (YYYY-MM-DD) / both dates needed")
    if last < first:
        raise HTTPException(422, "to: ngày kết thúc trước ngày bắt đầu / the period ends before it starts")
    if (last - first).days > 3660:
        raise HTTPException(422, "to: kỳ báo cáo tối đa 10 năm / at most ten years")
    return first, last


@router.get("/api/procedures")
def list_procedures(user: User = Depends(staff), session: Session = Depends(db),
                    tier: str | None = Query(None, pattern="^(province|district|commune)$"),
                    unit_code: str | None = Query(None, max_length=13)) -> list[dict[str, Any]]:
    query = select(Procedure).order_by(Procedure.code)
    if tier:
        query = query.where(Procedure.tier == tier)
    if unit_code:
        unit = _unit(session, unit_code)
        assert unit is not None
        query = query.where(Procedure.unit_id == unit.id)
    return [procedure_json(p) for p in session.execute(query).scalars()]


@router.get("/api/procedures/{code}")
def get_procedure(code: str, user: User = Depends(staff), session: Session = Depends(db)) -> dict[str, Any]:
    procedure = procedure_by_code(session, code)
    if procedure is None:
        raise HTTPException(404, f"không có thủ tục mã {code} / no such procedure")
    return procedure_json(procedure)


@router.post("/api/procedures", status_code=201)
def add_procedure(body: ProcedureIn, request: Request, user: User = Depends(admin_only),
                  session: Session = Depends(db)) -> dict[str, Any]:
    if procedure_by_code(session, body.code):
        raise HTTPException(409, f"code: thủ tục mã {body.code} đã có / that code exists")
    unit = _unit(session, body.unit_code)
    if body.tier == "province" and unit is None:
        raise HTTPException(422, "unit_code: thủ tục cấp tỉnh cần đơn vị chủ trì / a provincial procedure "
                                 "needs its responsible department")
    procedure = Procedure(code=body.code, name=body.name, field=body.field, processing_days=body.processing_days,
                          level=body.level, cutoff=body.cutoff, tier=body.tier, unit_id=unit.id if unit else None)
    session.add(procedure)
    session.flush()
    record(session, actor=user.username, action="procedure.create", target=body.code,
           detail=body.model_dump(), ip=client_ip(request))
    return procedure_json(procedure)


@router.post("/api/dossiers", status_code=201)
def receive_dossier(body: ReceiptIn, request: Request, background: BackgroundTasks,
                    user: User = Depends(officer_only), session: Session = Depends(db)) -> dict[str, Any]:
    procedure = procedure_by_code(session, body.procedure_code)
    if procedure is None:
        raise HTTPException(422, f"procedure_code: không có thủ tục mã {body.procedure_code} / no such procedure")
    unit = _unit(session, body.unit_code)
    change = _apply(lambda: receive(
        session, actor=user, procedure=procedure, unit=unit, channel=body.channel,
        applicant_name=body.applicant_name.strip(), applicant_id_number=body.applicant_id_number,
        applicant_phone=body.applicant_phone, applicant_address=body.applicant_address, note=body.note,
        ip=client_ip(request)), background)
    return dossier_json(change.dossier)


@router.get("/api/dossiers")
def list_dossiers(user: User = Depends(staff), session: Session = Depends(db),
                  status: int | None = Query(None, ge=1, le=10), unit_code: str | None = Query(None, max_length=13),
                  procedure_code: str | None = Query(None, max_length=32),
                  channel: str | None = Query(None, pattern="^(desk|online)$"),
                  received_from: Day | None = None, received_to: Day | None = None, overdue: bool = False,
                  q: str | None = Query(None, max_length=100), limit: int = Query(50, ge=1, le=500),
                  offset: int = Query(0, ge=0, le=10_000_000)) -> dict[str, Any]:
    """Every dossier's code, status and dates; the applicant's personal data only on the dossiers the reader
    handles (documents.dossiers.handlers), and searching by name only among those."""
    try:
        rows, total = find(session, DossierFilter(status, unit_code, procedure_code, channel, received_from,
                                                  received_to, overdue, q), limit, offset,
                           named=handled_clause(session, user))
    except FilterError as exc:
        raise HTTPException(422, str(exc)) from exc
    return {"total": total, "items": [dossier_json(d, personal=handles(session, user, d)) for d in rows]}


@router.get("/api/dossiers/stats")
def dossier_stats(user: User = Depends(staff), session: Session = Depends(db),
                  first: Day | None = Query(None, alias="from"), last: Day | None = Query(None, alias="to"),
                  unit_code: str | None = Query(None, max_length=13),
                  procedure_code: str | None = Query(None, max_length=32)) -> dict[str, Any]:
    first, last = _period(first, last)
    unit = _unit(session, unit_code)
    procedure = procedure_by_code(session, procedure_code) if procedure_code else None
    if procedure_code and procedure is None:
        raise HTTPException(422, f"procedure_code: không có thủ tục mã {procedure_code} / no such procedure")
    ids = {"unit_id": unit.id if unit else None, "procedure_id": procedure.id if procedure else None}
    return stats.report(session, first, last, **ids)


@router.get("/api/dossiers/kpi")
def dossier_kpi(user: User = Depends(staff), session: Session = Depends(db),
                period: str = Query("month", max_length=40)) -> dict[str, Any]:
    try:
        return kpi.snapshot(session, period)
    except ValueError as exc:
        raise HTTPException(422, f"period: {exc}") from exc


@router.get("/api/dossiers/due-soon")
def due_soon(user: User = Depends(staff), session: Session = Depends(db),
             days: int = Query(1, ge=0, le=30), unit_code: str | None = Query(None, max_length=13)
             ) -> list[dict[str, Any]]:
    unit = _unit(session, unit_code)
    return kpi.about_to_be_late(session, days, unit_id=unit.id if unit else None)


@router.get("/api/dossiers/{dossier_id}")
def get_dossier(dossier_id: RowId, user: User = Depends(staff), session: Session = Depends(db)) -> dict[str, Any]:
    dossier = _dossier(session, dossier_id)
    personal = handles(session, user, dossier)
    return dossier_json(dossier, personal=personal) | {
        "history": history(session, dossier_id, personal),
        "pauses": [{"status": p.status, "started_at": p.started_at.isoformat(),
                    "ended_at": p.ended_at.isoformat() if p.ended_at else None,
                    "reason": p.reason if personal else None}
                   for p in session.execute(select(DossierPause).where(DossierPause.dossier_id == dossier_id)
                                            .order_by(DossierPause.id)).scalars()],
        "actions": [a.name for a in available(dossier.status, dossier.awaiting_approval, Role(user.role))]
        if personal else [],
    }



@router.post("/api/dossiers/{dossier_id}/actions")
def act(dossier_id: RowId, body: ActionIn, request: Request, background: BackgroundTasks,
        user: User = Depends(workflow_roles), session: Session = Depends(db)) -> dict[str, Any]:
    change = _apply(lambda: transition(session, dossier_id, body.action, user, body.comment,
                                       ip=client_ip(request)), background)
    return dossier_json(change.dossier, personal=handles(session, user, change.dossier))


@router.post("/api/dossiers/{dossier_id}/apology")
def apology(dossier_id: RowId, body: ApologyIn, request: Request, background: BackgroundTasks,
            user: User = Depends(workflow_roles), session: Session = Depends(db)) -> dict[str, Any]:
    change = _apply(lambda: apologise(session, dossier_id, user, body.reason, body.extra_working_days,
                                      ip=client_ip(request)), background)
    return dossier_json(change.dossier, personal=handles(session, user, change.dossier)) | {
        "slip": f"/dossiers/{dossier_id}/apology"}
