"""Scheduling, starting and ending meetings: the rules about who chairs, who is invited, and in
which order a meeting moves from scheduled to live to ended. Every change is audited."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core import record_access
from core.audit import record
from core.bounds import Moment
from core.errors import DomainError, Kind
from core.people import Role, User
from core.record_access import MeetingCircle
from core.units import Unit, meeting_point_order

from .journal import add_action, close_all_attendance, stop_speaking
from .models import AgendaItem, Invitation, Meeting, MeetingKind, MeetingStatus


class MeetingRefused(DomainError):
    """A request that breaks a meeting rule."""


class AgendaItemIn(BaseModel):
    title: str = Field(min_length=1, max_length=500)
    presenter: str = Field(default="", max_length=200)
    minutes: int | None = Field(default=None, ge=1, le=600)


class MeetingIn(BaseModel):
    title: str = Field(min_length=3, max_length=300)
    place: str = Field(default="", max_length=300)
    scheduled_at: Moment
    agenda: list[AgendaItemIn] = Field(default_factory=list, max_length=50)
    chair: str = Field(min_length=1, max_length=64, description="username of the chair (role chair)")
    secretary: str | None = Field(default=None, max_length=64, description="username of the secretary")
    invited: list[str] = Field(min_length=1, max_length=200, description="endpoint usernames, e.g. dc-vinh")
    video_codec: str = Field(default="vp8", pattern="^(vp8|h264)$")
    record: bool = Field(default=True, description="Record the meeting's archive (sealed by the minutes)")
    kind: MeetingKind = Field(default=MeetingKind.giao_ban, description="giao_ban (regular briefing), chuyen_de "
                              "(one subject) or khan (urgent): how long the recording is kept")

    @field_validator("scheduled_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        # A time without zone is taken as Vietnam time (UTC+7), the way people type it.
        if value.tzinfo is None:
            from datetime import timedelta, timezone

            value = value.replace(tzinfo=timezone(timedelta(hours=7)))
        return value.astimezone(UTC)


def _user(session: Session, username: str) -> User | None:
    return session.execute(select(User).where(User.username == username)).scalar_one_or_none()


def schedule(session: Session, body: MeetingIn, actor: User, *, ip: str = "") -> Meeting:
    chair = _user(session, body.chair)
    if chair is None or chair.role not in (Role.chair, Role.admin) or not chair.active:
        raise MeetingRefused(Kind.invalid,
                             f"chair: {body.chair!r} không phải tài khoản chủ tọa / is not a chair account")
    secretary = None
    if body.secretary:
        secretary = _user(session, body.secretary)
        if secretary is None or secretary.role != Role.secretary or not secretary.active:
            raise MeetingRefused(Kind.invalid, f"secretary: {body.secretary!r} không phải tài khoản thư ký / "
                                      "is not a secretary account")
    names = list(dict.fromkeys(body.invited))
    endpoints = {u.username: u for u in session.execute(select(User).where(User.username.in_(names))).scalars()}
    wrong = [n for n in names if n not in endpoints or endpoints[n].role != Role.endpoint]
    if wrong:
        raise MeetingRefused(Kind.invalid, "invited: không phải điểm cầu / not endpoint accounts: " + ", ".join(wrong))
    meeting = Meeting(title=body.title.strip(), place=body.place.strip(), scheduled_at=body.scheduled_at,
                      status=MeetingStatus.scheduled.value, video_codec=body.video_codec, record=body.record,
                      kind=body.kind.value, chair_id=chair.id,
                      secretary_id=secretary.id if secretary else None, created_by_id=actor.id,
                      created_at=datetime.now(UTC))
    meeting.agenda = [AgendaItem(position=i + 1, title=item.title.strip(), presenter=item.presenter.strip(),
                                 minutes=item.minutes) for i, item in enumerate(body.agenda)]
    meeting.invitations = [Invitation(user_id=endpoints[n].id) for n in names]
    session.add(meeting)
    session.flush()
    record(session, actor=actor.username, action="meeting.schedule", target=f"meeting:{meeting.id}",
           detail={"title": meeting.title, "invited": len(names), "record": meeting.record}, ip=ip)
    return meeting


def start(session: Session, meeting: Meeting, actor: User, *, ip: str = "") -> Meeting:
    if meeting.status == MeetingStatus.ended:
        raise MeetingRefused(Kind.conflict, "Cuộc họp đã kết thúc / the meeting has already ended")
    if meeting.status == MeetingStatus.scheduled:
        meeting.status = MeetingStatus.live.value
        meeting.started_at = datetime.now(UTC)
        add_action(session, meeting_id=meeting.id, actor=actor.username, actor_role=actor.role, action="start",
                   at=meeting.started_at)
        record(session, actor=actor.username, action="meeting.start", target=f"meeting:{meeting.id}", ip=ip)
    return meeting


def end(session: Session, meeting: Meeting, actor: User, *, ip: str = "") -> Meeting:
    if meeting.status == MeetingStatus.ended:
        return meeting
    now = datetime.now(UTC)
    if meeting.started_at is None:
        meeting.started_at = now
    meeting.status = MeetingStatus.ended.value
    meeting.ended_at = now
    close_all_attendance(session, meeting.id, now, "ended")
    stop_speaking(session, meeting_id=meeting.id, at=now)
    add_action(session, meeting_id=meeting.id, actor=actor.username, actor_role=actor.role, action="end", at=now)
    record(session, actor=actor.username, action="meeting.end", target=f"meeting:{meeting.id}", ip=ip)
    return meeting


def can_see(meeting: Meeting, user: User) -> bool:
    """Endpoints see the meetings they are invited to; people working here see every meeting."""
    return user.role != Role.endpoint or user.id in meeting.invited_ids()


def visible_meeting(session: Session, meeting_id: int, user: User) -> Meeting:
    """The meeting, if this person may see it; one they may not see is answered as one that does not exist."""
    meeting = session.get(Meeting, meeting_id)
    if meeting is None or not can_see(meeting, user):
        raise DomainError(Kind.not_found, f"Không có cuộc họp số {meeting_id} / no such meeting")
    return meeting


def invited_meetings(session: Session, user: User, *, limit: int = 20) -> list[Meeting]:
    """The meetings an endpoint account is invited to that are in progress or still to come, live first,
    then by time (its home page: one button to enter the room in progress)."""
    rows = session.execute(
        select(Meeting).join(Invitation, Invitation.meeting_id == Meeting.id)
        .where(Invitation.user_id == user.id, Meeting.status.in_([MeetingStatus.live, MeetingStatus.scheduled]))
        .order_by(Meeting.scheduled_at).limit(limit)).unique().scalars().all()
    return sorted(rows, key=lambda m: m.status != MeetingStatus.live)


def ended_meetings(session: Session, *, limit: int = 200) -> list[dict[str, object]]:
    """Ended meetings, newest first, as the minutes' drafting form names them (title and time)."""
    rows = session.execute(select(Meeting.id, Meeting.title, Meeting.scheduled_at, Meeting.started_at,
                                  Meeting.ended_at).where(Meeting.status == MeetingStatus.ended)
                           .order_by(Meeting.scheduled_at.desc()).limit(limit)).all()
    return [{"id": r.id, "title": r.title, "scheduled_at": r.scheduled_at, "started_at": r.started_at,
             "ended_at": r.ended_at} for r in rows]


def record_circle(meeting: Meeting) -> MeetingCircle:
    """Whose the meeting's record is (core.record_access): its hosts and the units invited to it."""
    units = frozenset(i.user.unit_id for i in meeting.invitations if i.user.unit_id is not None)
    return MeetingCircle(chair_id=meeting.chair_id, secretary_id=meeting.secretary_id, unit_ids=units)


def may_read_record(session: Session, meeting: Meeting, user: User) -> bool:
    return record_access.may_read_record(session, user, record_circle(meeting))


def meeting_json(meeting: Meeting, units: dict[int, Unit] | None = None) -> dict[str, object]:
    def person(user: User | None) -> dict[str, object] | None:
        if user is None:
            return None
        return {"username": user.username, "full_name": user.full_name, "position": user.position}

    def invited(inv: Invitation) -> dict[str, object]:
        unit = inv.user.unit
        return {"username": inv.user.username, "name": inv.user.full_name,
                "unit": unit.code if unit else None, "unit_name": unit.short_name if unit else None}

    return {
        "id": meeting.id, "title": meeting.title, "place": meeting.place,
        "scheduled_at": _iso(meeting.scheduled_at), "status": meeting.status, "video_codec": meeting.video_codec,
        "record": meeting.record, "kind": meeting.kind,
        "started_at": _iso(meeting.started_at), "ended_at": _iso(meeting.ended_at),
        "chair": person(meeting.chair), "secretary": person(meeting.secretary),
        "agenda": [{"position": a.position, "title": a.title, "presenter": a.presenter, "minutes": a.minutes}
                   for a in meeting.agenda],
        # The province's order of meeting points, districts first (the console's tiles follow it).
        "invited": [invited(i) for i in sorted(meeting.invitations, key=lambda i: meeting_point_order(i.user.unit))],
    }


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
