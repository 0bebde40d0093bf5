"""The dossier pages (Vietnamese first): the list with filters and the one-stop receipt form, the
statistics in the province's report layout, a dossier's page with history and actions, and the printable
apology slip."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import staff
from core.bounds import RowId
from core.i18n import register
from core.pages import render
from core.people import Role, User
from core.request_db import db
from core.units import Unit
from documents.dossiers import stats
from documents.dossiers.catalog import TIERS, procedure_json
from documents.dossiers.deadlines import VN_TIME, local
from documents.dossiers.handlers import NOT_YOURS, handled_clause, handles
from documents.dossiers.models import Dossier, Procedure
from documents.dossiers.queries import DossierFilter, FilterError, find, history
from documents.dossiers.schemas import dossier_json
from documents.dossiers.seedgen import SEED
from documents.dossiers.status import STATUS_LABELS, available

router = APIRouter(include_in_schema=False)
PAGE = 50

register({
    "dossiers.title": ("Hồ sơ thủ tục hành chính", "Administrative dossiers"),
    "dossiers.receive": ("Tiếp nhận hồ sơ tại bộ phận một cửa", "Receive a dossier at the one-stop desk"),
    "dossiers.stats": ("Thống kê", "Statistics"),
    "dossiers.due_soon": ("Sắp đến hạn", "Due soon"),
    "dossiers.filter": ("Lọc", "Filter"),
    "dossiers.code": ("Mã hồ sơ", "Dossier code"),
    "dossiers.procedure": ("Thủ tục", "Procedure"),
    "dossiers.applicant": ("Người nộp", "Applicant"),
    "dossiers.unit": ("Đơn vị", "Unit"),
    "dossiers.received": ("Ngày tiếp nhận", "Received"),
    "dossiers.due": ("Hẹn trả", "Due"),
    "dossiers.status": ("Trạng thái", "Status"),
    "dossiers.outcome": ("Kết quả", "Outcome"),
    "dossiers.history": ("Quá trình xử lý", "History"),
    "dossiers.actions": ("Thao tác", "Actions"),
    "dossiers.apology": ("Phiếu xin lỗi và hẹn lại ngày trả kết quả", "Apology slip with a new return date"),
    "dossiers.monthly": ("Báo cáo theo tháng", "Monthly report"),
    "dossiers.by_unit": ("Theo đơn vị", "By unit"),
    "dossiers.by_procedure": ("Theo thủ tục", "By procedure"),
    "dossiers.none": ("Không có hồ sơ nào", "No dossiers"),
})


def vn_number(value: int | float | None) -> str:
    return "—" if value is None else f"{int(value):,}".replace(",", ".")


def vn_percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}".replace(".", ",") + "%"


def vn_date(value: date | str | None) -> str:
    if value is None:
        return "—"
    day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")


HELPERS = {"vn_number": vn_number, "vn_percent": vn_percent, "vn_date": vn_date}


def _opt_date(value: str | None, name: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise HTTPException(422, f"{name}: ngày phải có dạng YYYY-MM-DD / use YYYY-MM-DD") from exc


@router.get("/dossiers")
def list_page(request: Request, user: User = Depends(staff), session: Session = Depends(db),
              status: int | None = Query(None, ge=1, le=10), unit_code: str | None = Query(None, max_length=13),
              procedure_code: str | None = Query(None, max_length=32), q: str | None = Query(None, max_length=100),
              overdue: bool = False, page: int = Query(1, ge=1, le=100000)) -> Response:
    f = DossierFilter(status=status, unit_code=unit_code or None, procedure_code=procedure_code or None,
                      q=q or None, overdue=overdue)
    try:
        rows, total = find(session, f, PAGE, (page - 1) * PAGE, named=handled_clause(session, user))
        error = None
    except FilterError as exc:
        rows, total, error = [], 0, str(exc)
    procedures = [procedure_json(p) for p in session.execute(select(Procedure).where(Procedure.active)
                                                             .order_by(Procedure.code)).scalars()]
    units = session.execute(select(Unit).where(Unit.kind.in_(("department", "district", "commune")))
                            .order_by(Unit.code)).scalars().all()
    return render(request, "documents/dossiers/list.html", {
        "rows": [dossier_json(d, personal=handles(session, user, d)) for d in rows], "total": total,
        "page": page, "pages": max(1, -(-total // PAGE)),
        "filter": f, "error": error, "procedures": procedures, "units": units, "tiers": TIERS,
        "statuses": [(int(s), vi) for s, (vi, _en) in STATUS_LABELS.items()],
        "can_receive": Role(user.role) == Role.officer, **HELPERS})


@router.get("/dossiers/stats")
def stats_page(request: Request, user: User = Depends(staff), session: Session = Depends(db),
               first: str | None = Query(None, alias="from", max_length=10),
               last: str | None = Query(None, alias="to", max_length=10),
               unit_code: str | None = Query(None, max_length=13)) -> Response:
    today = datetime.now(UTC).astimezone(VN_TIME).date()
    first_d = _opt_date(first, "from") or today.replace(day=1)
    last_d = _opt_date(last, "to") or today
    if last_d < first_d or (last_d - first_d).days > 3660:
        raise HTTPException(422, "to: kỳ báo cáo không hợp lệ / the period is not valid")
    unit = None
    if unit_code:
        unit = session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one_or_none()
        if unit is None:
            raise HTTPException(422, f"unit_code: không có đơn vị mã {unit_code} / no such unit")
    unit_id = unit.id if unit else None
    report = stats.report(session, first_d, last_d, unit_id=unit_id)
    months = report["monthly"]
    return render(request, "documents/dossiers/stats.html", {
        "report": report, "months": months, "first": first_d, "last": last_d, "unit": unit, "seed": SEED,
        **HELPERS})


def _page_dossier(session: Session, dossier_id: RowId) -> Dossier:
    dossier = session.get(Dossier, dossier_id)
    if dossier is None:
        raise HTTPException(404, f"không có hồ sơ số {dossier_id} / no such dossier")
    return dossier


@router.get("/dossiers/{dossier_id}")
def detail_page(dossier_id: RowId, request: Request, user: User = Depends(staff),
                session: Session = Depends(db)) -> Response:
    dossier = _page_dossier(session, dossier_id)
    personal = handles(session, user, dossier)
    data = dossier_json(dossier, personal=personal)
    late = bool(data["overdue"] or dossier.outcome == "late") and dossier.status != 10
    return render(request, "documents/dossiers/detail.html", {
        "d": data, "history": history(session, dossier_id, personal), "labels": {int(k): v[0] for k, v in
                                                                                   STATUS_LABELS.items()},
        "actions": available(dossier.status, dossier.awaiting_approval, Role(user.role)) if personal else [],
        "can_apologise": personal and late and Role(user.role) in (Role.officer, Role.specialist, Role.chair),
        **HELPERS})


@router.get("/dossiers/{dossier_id}/apology")
def apology_slip(dossier_id: RowId, request: Request, user: User = Depends(staff),
                 session: Session = Depends(db)) -> Response:
    dossier = _page_dossier(session, dossier_id)
    if not handles(session, user, dossier):  # the slip is addressed to the citizen by name
        raise HTTPException(403, NOT_YOURS)
    if dossier.new_return_date is None or dossier.apology_at is None:
        raise HTTPException(409, "Hồ sơ chưa có phiếu xin lỗi; lập phiếu trên trang hồ sơ trước "
                                 "/ no apology slip has been issued for this dossier")
    issued = local(dossier.apology_at)
    return render(request, "documents/dossiers/apology.html", {
        "d": dossier_json(dossier), "unit": dossier.unit, "issued": issued, "parent": _parent_name(session, dossier),
        "received": local(dossier.received_at) if dossier.received_at else None, **HELPERS})


def _parent_name(session: Session, dossier: Dossier) -> str:
    if dossier.unit.parent_id:
        parent = session.get(Unit, dossier.unit.parent_id)
        if parent:
            return parent.name.upper()
    return ""
