"""Figures for the operations dashboard: the meeting in progress, which endpoints are connected
and how well, and who is speaking; between meetings, the last one (ended) and the next. Read from
the database, so any process can call it.

An endpoint is an invited unit's meeting point, whatever client it joins with (the endpoint agent
or the browser room): the chair's hall and observers are not endpoints, so they are listed apart
(`hall`) and not counted."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.units import unit_order

from .journal import Attendance, SpeakingTurn, aware
from .models import Meeting, MeetingStatus

STALE_SECONDS = 15  # link figures older than this are shown as unknown: the media path stopped reporting


def snapshot(session: Session, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(UTC)
    meeting = session.execute(select(Meeting).where(Meeting.status == MeetingStatus.live.value)
                              .order_by(Meeting.started_at.desc())).scalars().first()
    if meeting is None:
        upcoming = session.execute(select(Meeting).where(Meeting.status == MeetingStatus.scheduled.value)
                                   .order_by(Meeting.scheduled_at)).scalars().first()
        return {"in_progress": False, "meeting": None,
                "next_meeting": None if upcoming is None else {
                    "id": upcoming.id, "title": upcoming.title,
                    "scheduled_at": aware(upcoming.scheduled_at).isoformat()},
                "last_meeting": _last_meeting(session),
                "endpoints": {"invited": 0, "connected": [], "missing": []}, "hall": [],
                "link_quality": {"good": 0, "fair": 0, "poor": 0, "unknown": 0}, "speaking": None}
    open_rows = session.execute(select(Attendance).where(Attendance.meeting_id == meeting.id,
                                                         Attendance.left_at.is_(None))).scalars().all()
    connected, hall, quality = [], [], {"good": 0, "fair": 0, "poor": 0, "unknown": 0}
    present_users = set()
    for row in open_rows:
        present_users.add(row.user_id)
        stats = row.stats()
        fresh = stats is not None and row.stats_at is not None and \
            (now - aware(row.stats_at)).total_seconds() <= STALE_SECONDS
        grade = stats["quality"] if fresh and stats else "unknown"
        if row.role == "district":
            quality[grade] += 1
        unit = row.user.unit
        (connected if row.role == "district" else hall).append({
            "participant": row.participant, "role": row.role, "unit": unit.code if unit else None,
            "unit_name": unit.short_name if unit else None, "name": row.user.full_name,
            "since": aware(row.joined_at).isoformat(), "quality": grade, "stats": stats if fresh else None})
    missing = [{"participant": inv.user.username, "unit": inv.user.unit.code if inv.user.unit else None,
                "unit_name": inv.user.unit.short_name if inv.user.unit else None}
               for inv in meeting.invitations if inv.user_id not in present_users]
    turn = session.execute(select(SpeakingTurn).where(SpeakingTurn.meeting_id == meeting.id,
                                                      SpeakingTurn.ended_at.is_(None))).scalars().first()
    speaking = None
    if turn is not None:
        who = next((c for c in connected + hall if c["participant"] == turn.participant), None)
        speaking = {"participant": turn.participant,
                    "unit_name": (who["unit_name"] if who["role"] == "district" else who["name"]) if who else None,
                    "since": aware(turn.started_at).isoformat()}
    return {
        "in_progress": True,
        "meeting": {"id": meeting.id, "title": meeting.title, "place": meeting.place,
                    "started_at": aware(meeting.started_at).isoformat() if meeting.started_at else None},
        "next_meeting": None, "last_meeting": None,
        "endpoints": {"invited": len(meeting.invitations),
                      "connected": sorted(connected, key=lambda c: unit_order(c["unit"])),
                      "missing": sorted(missing, key=lambda m: unit_order(m["unit"]))},
        "hall": hall,
        "link_quality": quality,
        "speaking": speaking,
    }


def _last_meeting(session: Session) -> dict[str, Any] | None:
    """The meeting that ended last, with how many invited units attended it: what the screen keeps
    showing after the end instead of forgetting it."""
    meeting = session.execute(select(Meeting).where(Meeting.status == MeetingStatus.ended.value)
                              .order_by(Meeting.ended_at.desc())).scalars().first()
    if meeting is None:
        return None
    invited = {inv.user_id for inv in meeting.invitations}
    attended = set(session.execute(select(Attendance.user_id).where(Attendance.meeting_id == meeting.id,
                                                                    Attendance.role == "district")).scalars())
    return {"id": meeting.id, "title": meeting.title, "status": meeting.status,
            "ended_at": aware(meeting.ended_at).isoformat() if meeting.ended_at else None,
            "invited": len(invited), "attended": len(attended & invited)}
