"""Meetings as scheduled: title, place, time, chair and secretary, agenda items and invited endpoints."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.people import User


class MeetingKind(StrEnum):
    giao_ban = "giao_ban"  # the regular briefing
    chuyen_de = "chuyen_de"  # a meeting on one subject
    khan = "khan"  # an urgent meeting (storms, floods)


class MeetingStatus(StrEnum):
    scheduled = "scheduled"
    live = "live"
    ended = "ended"


class Meeting(Base):
    __tablename__ = "meetings"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    place: Mapped[str] = mapped_column(String(300), default="")
    scheduled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20), default=MeetingStatus.scheduled.value, index=True)
    video_codec: Mapped[str] = mapped_column(String(10), default="vp8")
    # Recorded by default (the archive); the scheduling form may turn it off. The kind sets how long
    # the recording is kept (settings.archive_retention_days).
    record: Mapped[bool] = mapped_column(Boolean, default=True)
    kind: Mapped[str] = mapped_column(String(20), default="giao_ban")
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    secretary_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    chair: Mapped[User] = relationship(foreign_keys=[chair_id], lazy="joined")
    secretary: Mapped[User | None] = relationship(foreign_keys=[secretary_id], lazy="joined")
    agenda: Mapped[list[AgendaItem]] = relationship(order_by="AgendaItem.position", cascade="all, delete-orphan",
                                                    lazy="selectin")
    invitations: Mapped[list[Invitation]] = relationship(cascade="all, delete-orphan", lazy="selectin")

    @property
    def room_id(self) -> str:
        """The media workers' name for this meeting's room."""
        return f"meeting-{self.id}"

    def is_host(self, user: User) -> bool:
        return user.id in (self.chair_id, self.secretary_id)

    def invited_ids(self) -> set[int]:
        return {i.user_id for i in self.invitations}


class AgendaItem(Base):
    __tablename__ = "meeting_agenda_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(500))
    presenter: Mapped[str] = mapped_column(String(200), default="")
    minutes: Mapped[int | None] = mapped_column(Integer, default=None)
    notes: Mapped[str] = mapped_column(Text, default="")


class Invitation(Base):
    """An endpoint account invited to a meeting."""

    __tablename__ = "meeting_invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))

    user: Mapped[User] = relationship(lazy="joined")
