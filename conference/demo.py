"""Demo data: this month's provincial online briefing, scheduled, with every endpoint of the unit set invited
(the 26 district endpoints, or the 130 communes and wards)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import Role, User
from core.province import endpoints as configured_endpoints
from core.province import load_config
from core.unit_sets import UnitSet

from .models import Meeting
from .scheduling import AgendaItemIn, MeetingIn, schedule

VIETNAM = timezone(timedelta(hours=7))
AGENDA = [
    ("Báo cáo tình hình kinh tế - xã hội tháng và nhiệm vụ tháng tới", "Sở Kế hoạch và Đầu tư", 20),
    ("Tiến độ giải ngân vốn đầu tư công", "Sở Tài chính", 15),
    ("Công tác cải cách hành chính, giải quyết thủ tục hành chính", "Sở Nội vụ", 15),
    ("Ý kiến của các địa phương", "{locals}", 40),
    ("Kết luận của Chủ tịch UBND tỉnh", "Chủ tịch UBND tỉnh", 10),
]
# Who "the localities" are in each unit set: the district level, or (since 1 July 2025) the communes and wards.
LOCALS = {UnitSet.districts: ("các huyện, thành phố, thị xã", "UBND các huyện, thành phố, thị xã"),
          UnitSet.communes: ("các xã, phường", "UBND các xã, phường")}


def seed(session: Session, settings: Any) -> list[str]:
    now = datetime.now(VIETNAM)
    unit_set = UnitSet(settings.unit_set)
    localities, presenters = LOCALS[unit_set]
    title = f"Giao ban trực tuyến tháng {now.month}/{now.year} giữa UBND tỉnh với {localities}"
    if session.execute(select(Meeting.id).where(Meeting.title == title)).first():
        return []
    chair = session.execute(select(User).where(User.role == Role.chair, User.active)).scalars().first()
    secretary = session.execute(select(User).where(User.role == Role.secretary, User.active)).scalars().first()
    wanted = [spec.username for spec in configured_endpoints(load_config(unit_set=unit_set))]
    endpoints = session.execute(select(User.username).where(User.role == Role.endpoint, User.active,
                                                            User.username.in_(wanted))
                                .order_by(User.username)).scalars().all()
    if chair is None or not endpoints:
        return ["no demo meeting: the chair or the endpoint accounts are missing"]
    # Next weekday morning at 08:00, Vietnam time.
    day = (now + timedelta(days=1)).replace(hour=8, minute=0, second=0, microsecond=0)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    body = MeetingIn(title=title, place="Phòng họp trực tuyến UBND tỉnh, 3 Trường Thi, TP Vinh",
                     scheduled_at=day.astimezone(UTC), chair=chair.username,
                     secretary=secretary.username if secretary else None, invited=list(endpoints),
                     agenda=[AgendaItemIn(title=t, presenter=who.format(locals=presenters), minutes=m)
                             for t, who, m in AGENDA])
    meeting = schedule(session, body, chair)
    return [f"meeting {meeting.id} scheduled: {title} ({len(endpoints)} endpoints invited)"]
