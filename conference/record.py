"""The record of a meeting, as the minutes are drafted from it: what was scheduled (title, place,
chair, secretary, agenda, invited units), who attended when (an interval per connection, so a
reconnect shows as a gap), who spoke and for how long, and what the hosts did."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import User
from core.units import Unit, unit_order

from .journal import Attendance, MeetingAction, SpeakingTurn, aware
from .models import Meeting

HOST_ACTIONS = frozenset({"start", "end", "mute", "unmute", "spotlight", "grant_floor", "remove"})


class MeetingNotFound(LookupError):
    pass


class PersonRef(BaseModel):
    username: str
    full_name: str
    position: str


class UnitRef(BaseModel):
    code: str | None
    name: str | None
    short_name: str | None


class AgendaEntry(BaseModel):
    position: int
    title: str
    presenter: str
    minutes: int | None


class Interval(BaseModel):
    participant: str
    role: str
    joined_at: datetime
    left_at: datetime | None  # None: still connected
    seconds: float
    reason: str  # left, disconnected, removed, ended; "" while connected


class UnitAttendance(BaseModel):
    unit: UnitRef
    participants: list[str]
    intervals: list[Interval]
    total_seconds: float
    first_joined: datetime
    last_left: datetime | None
    reconnects: int  # intervals after the first


class Turn(BaseModel):
    started_at: datetime
    ended_at: datetime | None
    seconds: float


class SpeakingSummary(BaseModel):
    participant: str
    name: str
    unit: UnitRef
    turns: list[Turn]
    total_seconds: float


class ActionEntry(BaseModel):
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


class MeetingRecord(BaseModel):
    id: int
    title: str
    place: str
    status: str
    scheduled_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    chair: PersonRef
    secretary: PersonRef | None
    agenda: list[AgendaEntry]
    invited: list[UnitRef]
    attendance: list[UnitAttendance]
    absent: list[UnitRef]  # invited units that never connected
    speaking: list[SpeakingSummary]  # longest total first
    host_actions: list[ActionEntry]
    hands_raised: list[ActionEntry]


def _person(user: User | None) -> PersonRef | None:
    return None if user is None else PersonRef(username=user.username, full_name=user.full_name,
                                                position=user.position)


def _unit(unit: Unit | None) -> UnitRef:
    if unit is None:
        return UnitRef(code=None, name=None, short_name=None)
    return UnitRef(code=unit.code, name=unit.name, short_name=unit.short_name)


def _seconds(start: datetime, end: datetime | None, now: datetime) -> float:
    return round(max(0.0, ((aware(end) if end else now) - aware(start)).total_seconds()), 3)


def meeting_record(session: Session, meeting_id: int, now: datetime | None = None) -> MeetingRecord:
    """Everything persisted about one meeting; open intervals (meeting still live) count up to `now`."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise MeetingNotFound(f"no meeting {meeting_id}")
    now = now or datetime.now(UTC)
    units = {u.id: u for u in session.execute(select(Unit)).scalars()}
    rows = session.execute(select(Attendance).where(Attendance.meeting_id == meeting_id)
                           .order_by(Attendance.joined_at, Attendance.id)).scalars().all()
    by_unit: dict[int | str, list[Attendance]] = {}
    for row in rows:
        by_unit.setdefault(row.unit_id if row.unit_id is not None else row.participant, []).append(row)
    attendance = []
    for key, group in by_unit.items():
        intervals = [Interval(participant=r.participant, role=r.role, joined_at=aware(r.joined_at),
                              left_at=aware(r.left_at) if r.left_at else None,
                              seconds=_seconds(r.joined_at, r.left_at, now), reason=r.leave_reason) for r in group]
        lefts = [i.left_at for i in intervals]
        attendance.append(UnitAttendance(
            unit=_unit(units.get(key) if isinstance(key, int) else None),
            participants=list(dict.fromkeys(i.participant for i in intervals)), intervals=intervals,
            total_seconds=round(sum(i.seconds for i in intervals), 3), first_joined=intervals[0].joined_at,
            last_left=None if any(left is None for left in lefts) else max(lefts),  # type: ignore[type-var]
            reconnects=len(intervals) - len({i.participant for i in intervals})))
    invited_units = [inv.user.unit for inv in meeting.invitations]
    attended_unit_ids = {r.unit_id for r in rows}
    invited = sorted((_unit(u) for u in invited_units), key=lambda u: unit_order(u.code))
    absent = sorted((_unit(u) for u in invited_units if u is None or u.id not in attended_unit_ids),
                    key=lambda u: unit_order(u.code))

    turns = session.execute(select(SpeakingTurn).where(SpeakingTurn.meeting_id == meeting_id)
                            .order_by(SpeakingTurn.started_at, SpeakingTurn.id)).scalars().all()
    people = {u.id: u for u in session.execute(
        select(User).where(User.id.in_({t.user_id for t in turns if t.user_id is not None}))).scalars()}
    speaking: dict[str, SpeakingSummary] = {}
    for turn in turns:
        user = people.get(turn.user_id) if turn.user_id is not None else None
        summary = speaking.get(turn.participant)
        if summary is None:
            summary = speaking[turn.participant] = SpeakingSummary(
                participant=turn.participant, name=user.full_name if user else turn.participant,
                unit=_unit(units.get(user.unit_id) if user and user.unit_id else None), turns=[], total_seconds=0)
        seconds = _seconds(turn.started_at, turn.ended_at, now)
        summary.turns.append(Turn(started_at=aware(turn.started_at),
                                  ended_at=aware(turn.ended_at) if turn.ended_at else None, seconds=seconds))
        summary.total_seconds = round(summary.total_seconds + seconds, 3)

    actions = session.execute(select(MeetingAction).where(MeetingAction.meeting_id == meeting_id)
                              .order_by(MeetingAction.at, MeetingAction.id)).scalars().all()

    def entry(a: MeetingAction) -> ActionEntry:
        return ActionEntry(at=aware(a.at), actor=a.actor, action=a.action, target=a.target,
                           detail=json.loads(a.detail or "{}"))

    return MeetingRecord(
        id=meeting.id, title=meeting.title, place=meeting.place, status=meeting.status,
        scheduled_at=aware(meeting.scheduled_at),
        started_at=aware(meeting.started_at) if meeting.started_at else None,
        ended_at=aware(meeting.ended_at) if meeting.ended_at else None,
        chair=_person(meeting.chair),  # type: ignore[arg-type]
        secretary=_person(meeting.secretary),
        agenda=[AgendaEntry(position=a.position, title=a.title, presenter=a.presenter, minutes=a.minutes)
                for a in meeting.agenda],
        invited=invited, attendance=attendance, absent=absent,
        speaking=sorted(speaking.values(), key=lambda s: -s.total_seconds),
        host_actions=[entry(a) for a in actions if a.action in HOST_ACTIONS],
        hands_raised=[entry(a) for a in actions if a.action == "raise_hand"],
    )


def timeline(session: Session, meeting_id: int) -> list[dict[str, Any]]:
    """The meeting as a sequence of moments: joins, leaves, speaking turns and actions, in order."""
    record = meeting_record(session, meeting_id)
    items: list[dict[str, Any]] = []
    for unit in record.attendance:
        for i in unit.intervals:
            items.append({"at": i.joined_at, "kind": "joined", "participant": i.participant, "unit": unit.unit.code,
                          "role": i.role})
            if i.left_at is not None:
                items.append({"at": i.left_at, "kind": "left", "participant": i.participant, "unit": unit.unit.code,
                              "reason": i.reason})
    for speaker in record.speaking:
        for turn in speaker.turns:
            items.append({"at": turn.started_at, "kind": "speaking_started", "participant": speaker.participant,
                          "unit": speaker.unit.code})
            if turn.ended_at is not None:
                items.append({"at": turn.ended_at, "kind": "speaking_ended", "participant": speaker.participant,
                              "unit": speaker.unit.code, "seconds": turn.seconds})
    for action in (*record.host_actions, *record.hands_raised):
        items.append({"at": action.at, "kind": action.action, "participant": action.actor, "target": action.target,
                      "detail": action.detail})
    order = {"joined": 0, "speaking_started": 2, "speaking_ended": 1, "left": 3}
    items.sort(key=lambda item: (item["at"], order.get(item["kind"], 1)))
    return [{**item, "at": item["at"].isoformat()} for item in items]
