"""What happened in a meeting, persisted as it happens: attendance intervals (one per connection,
so a reconnect shows as a gap), speaking turns (from the media path's dominant-speaker events) and
actions (host controls, raised hands, start and end). Minutes are drafted from these rows."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from core.db import Base
from core.people import User


def aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


class Attendance(Base):
    __tablename__ = "meeting_attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    participant: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    leave_reason: Mapped[str] = mapped_column(String(20), default="")
    last_stats: Mapped[str] = mapped_column(Text, default="")
    stats_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    user: Mapped[User] = relationship(lazy="joined")

    def stats(self) -> dict[str, Any] | None:
        return json.loads(self.last_stats) if self.last_stats else None


class SpeakingTurn(Base):
    __tablename__ = "meeting_speaking"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    participant: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)


class MeetingAction(Base):
    __tablename__ = "meeting_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    actor_role: Mapped[str] = mapped_column(String(20), default="")
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")


def open_attendance(session: Session, *, meeting_id: int, user_id: int, unit_id: int | None, participant: str,
                    role: str, at: datetime) -> Attendance:
    row = Attendance(meeting_id=meeting_id, user_id=user_id, participant=participant, role=role, unit_id=unit_id,
                     joined_at=at)
    session.add(row)
    session.flush()
    return row


def close_attendance(session: Session, attendance_id: int, at: datetime, reason: str) -> None:
    session.execute(update(Attendance).where(Attendance.id == attendance_id, Attendance.left_at.is_(None))
                    .values(left_at=at, leave_reason=reason))


def close_all_attendance(session: Session, meeting_id: int, at: datetime, reason: str) -> None:
    session.execute(update(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.left_at.is_(None))
                    .values(left_at=at, leave_reason=reason))


def speaker_changed(session: Session, *, meeting_id: int, participant: str | None, user_id: int | None,
                    at: datetime) -> None:
    """Close the current turn and open one for `participant` (None: nobody holds the floor)."""
    current = session.execute(select(SpeakingTurn).where(SpeakingTurn.meeting_id == meeting_id,
                                                         SpeakingTurn.ended_at.is_(None))).scalars().all()
    if participant is not None and any(turn.participant == participant for turn in current):
        return
    for turn in current:
        # A switch reported slightly out of order must not give a turn negative length.
        turn.ended_at = max(at, aware(turn.started_at))
    if participant is not None:
        session.add(SpeakingTurn(meeting_id=meeting_id, participant=participant, user_id=user_id, started_at=at))
    session.flush()


def stop_speaking(session: Session, *, meeting_id: int, at: datetime, participant: str | None = None) -> None:
    """End the open turn of `participant` (everyone's when None): they left, or the meeting ended."""
    query = select(SpeakingTurn).where(SpeakingTurn.meeting_id == meeting_id, SpeakingTurn.ended_at.is_(None))
    if participant is not None:
        query = query.where(SpeakingTurn.participant == participant)
    for turn in session.execute(query).scalars():
        turn.ended_at = max(at, aware(turn.started_at))
    session.flush()


def add_action(session: Session, *, meeting_id: int, actor: str, actor_role: str, action: str, target: str = "",
               detail: dict[str, Any] | None = None, at: datetime | None = None) -> MeetingAction:
    row = MeetingAction(meeting_id=meeting_id, at=at or datetime.now(UTC), actor=actor, actor_role=actor_role,
                        action=action, target=target, detail=json.dumps(detail or {}, ensure_ascii=False))
    session.add(row)
    session.flush()
    return row


def close_stale(session: Session, *, at: datetime, meeting_id: int | None = None,
                participant: str | None = None) -> int:
    """Close intervals left open by a web process that stopped without closing them (killed, or
    the participant is joining again while its old interval is still open): each ends at its last
    link report, the last moment the participant was known to be there, else at `at`. Their open
    speaking turns end at the same moment. Returns how many intervals were closed."""
    query = select(Attendance).where(Attendance.left_at.is_(None))
    if meeting_id is not None:
        query = query.where(Attendance.meeting_id == meeting_id)
    if participant is not None:
        query = query.where(Attendance.participant == participant)
    rows = session.execute(query).scalars().all()
    for row in rows:
        row.left_at = max(aware(row.stats_at), aware(row.joined_at)) if row.stats_at else at
        row.leave_reason = "disconnected"
        stop_speaking(session, meeting_id=row.meeting_id, at=aware(row.left_at), participant=row.participant)
    session.flush()
    return len(rows)


def store_stats(session: Session, attendance_id: int, stats: dict[str, Any], at: datetime) -> None:
    session.execute(update(Attendance).where(Attendance.id == attendance_id)
                    .values(last_stats=json.dumps(stats), stats_at=at))
