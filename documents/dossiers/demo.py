"""Demo dossiers: the procedure catalog, the province's reported volume for 10/12/2019 - 10/3/2020 (so the
statistics page shows the report's own figures), and a few live dossiers of the last days in every stage,
one of them late with an apology slip. Idempotent: only what is missing is created."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.people import User
from core.settings import Settings
from core.unit_sets import UnitSet, members
from core.units import Unit
from documents.dossiers import seedgen
from documents.dossiers.calendar import WorkCalendar, default_calendar
from documents.dossiers.catalog import ensure_procedures, procedure_by_code
from documents.dossiers.deadlines import VN_TIME
from documents.dossiers.models import Dossier
from documents.dossiers.stats import bounds
from documents.dossiers.workflow import apologise, receive, transition

# procedure, district (for district procedures; in the communes set a commune of its area), applicant,
# working days ago, actions
LIVE = [
    ("H41.SGTVT.01", None, "Nguyễn Thị Hồng", 0, []),
    ("H41.SGTVT.02", None, "Công ty TNHH Vận tải Lam Hồng", 1, ["start"]),
    ("H41.SGTVT.01", None, "Trần Văn Quang", 2, ["start", "submit"]),
    ("H41.SGTVT.02", None, "Phạm Thị Thu", 4, ["start", "request_payment"]),
    ("H41.SGTVT.01", None, "Hoàng Văn Nam", 3, ["start", "submit", "approve"]),
    ("H41.SGTVT.02", None, "Lê Minh Tuấn", 9, ["start", "submit", "approve", "return_result"]),
    ("H41.SGTVT.01", None, "Đặng Thị Yến", 8, ["start"]),  # 5 working days: late by now
]
# Each dossier is handled by its own unit's people (the transport department) and the provincial one-stop
# centre that received it (documents.dossiers.handlers).
ROLE_OF = {"start": "cv-gtvt", "submit": "cv-gtvt", "request_payment": "cv-gtvt", "approve": "gd-gtvt",
           "return_result": "motcua"}
COMMENTS = {"request_payment": "Nộp lệ phí trước bạ và thuế thu nhập cá nhân"}


def seed(session: Session, settings: Settings) -> list[str]:
    lines = []
    created = ensure_procedures(session)
    if created:
        lines.append(f"dossiers: {len(created)} procedures in the catalog")
    start, end = bounds(seedgen.SEED.first, seedgen.SEED.last)
    have = session.execute(select(func.count()).select_from(Dossier).where(
        Dossier.received_at >= start, Dossier.received_at < end)).scalar_one()
    if not have:
        loaded = seedgen.load(session, history=False, unit_set=settings.unit_set)
        lines.append(f"dossiers: {loaded['dossiers']} dossiers of 10/12/2019 - 10/3/2020 (the I-Gate report)")
    people = {u.username: u for u in session.execute(select(User).where(
        User.username.in_(["motcua", *ROLE_OF.values()]))).scalars()}
    if len(people) == len({"motcua", *ROLE_OF.values()}) and not session.execute(select(Dossier.id).where(
            Dossier.received_at >= datetime.now(UTC) - timedelta(days=30)).limit(1)).first():
        lines.append(f"dossiers: {_live(session, people, UnitSet(settings.unit_set))} live dossiers at the "
                     "one-stop desk")
    return lines


def _live(session: Session, people: dict[str, User], unit_set: UnitSet) -> int:
    cal = default_calendar()
    now = datetime.now(UTC)
    today = cal.working_day_on_or_after(now.astimezone(VN_TIME).date())
    count = 0
    for code, unit_code, name, days_ago, actions in LIVE:
        procedure = procedure_by_code(session, code)
        if procedure is None:
            continue
        if unit_code and unit_set is UnitSet.communes:
            unit_code = _commune_in_area(unit_code)
        unit = session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one_or_none() if unit_code else None
        day = today
        for _ in range(days_ago):
            day = _previous_working_day(cal, day)
        moment = min(datetime(day.year, day.month, day.day, 8, 30, tzinfo=VN_TIME), now)
        change = receive(session, actor=people["motcua"], procedure=procedure, unit=unit, channel="desk",
                         applicant_name=name, applicant_phone="0912345678", now=moment)
        for step, action in enumerate(actions, start=1):
            transition(session, change.dossier.id, action, people[ROLE_OF[action]], COMMENTS.get(action, ""),
                       now=min(moment + timedelta(hours=2 * step), now))
        dossier = change.dossier
        if dossier.due_date and dossier.due_date < now.astimezone(VN_TIME).date() and dossier.status == 4:
            apologise(session, dossier.id, people["motcua"], "Cần xác minh thêm hồ sơ đất đai tại địa phương", 3,
                      now=now)
        count += 1
    return count


def _commune_in_area(district_code: str) -> str:
    """The first commune or ward (by statistical code) of a former district's area."""
    area = district_code.split(".")[2]
    return next(m.code for m in members(UnitSet.communes) if m.area == area)


def _previous_working_day(cal: WorkCalendar, day: date) -> date:
    day -= timedelta(days=1)
    while not cal.is_working_day(day):
        day -= timedelta(days=1)
    return day
