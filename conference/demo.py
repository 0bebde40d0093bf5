"""Demo data: this month's provincial online briefing, scheduled, with all 26 endpoints invited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import Role, User

from .models import Meeting
from .scheduling import AgendaItemIn, MeetingIn, schedule

VIETNAM = timezone(timedelta(hours=7))
AGENDA = [
    ("Báo cáo tình hình kinh tế - xã hội tháng và nhiệm vụ tháng tới", "Sở Kế hoạch và Đầu tư", 20),
    ("Tiến độ giải ngân vốn đầu tư công", "Sở Tài chính", 15),
    ("Công tác cải cách hành chính, giải quyết thủ tục hành chính", "Sở Nội vụ", 15),
    ("Ý kiến của các địa phương", "UBND các huyện, thành phố, thị xã", 40),
    ("Kết luận của Chủ tịch UBND tỉnh", "Chủ tịch UBND tỉnh", 10),
]


def seed(session: Session, settings: object) -> list[str]:
    now = datetime.now(VIETNAM)
    title = f"Giao ban trực tuyến tháng {now.month}/{now.year} giữa UBND tỉnh với các huyện, thành phố, thị xã"
    if session.execute(select(Meeting.id).where(Meeting.title == title)).first():
        return []
    chair = session.execute(select(User).where(User.role == Role.chair, User.active)).scalars().first()
    secretary = session.execute(select(User).where(User.role == Role.secretary, User.active)).scalars().first()
    endpoints = session.execute(select(User.username).where(User.role == Role.endpoint, User.active)
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
                     agenda=[AgendaItemIn(title=t, presenter=who, minutes=m) for t, who, m in AGENDA])
    meeting = schedule(session, body, chair)
    return [f"meeting {meeting.id} scheduled: {title} ({len(endpoints)} endpoints invited)"]
