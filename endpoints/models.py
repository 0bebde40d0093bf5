"""What the server knows of each endpoint: its latest health report (one row per endpoint account,
replaced on every report) and the offline alerts raised when an endpoint due in a live meeting is
not there."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.people import User


class EndpointHealth(Base):
    __tablename__ = "endpoint_health"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    status: Mapped[str] = mapped_column(String(20))
    meeting_id: Mapped[int | None] = mapped_column(Integer, default=None)
    meeting_title: Mapped[str] = mapped_column(String(300), default="")
    camera: Mapped[str] = mapped_column(String(20), default="")
    microphone: Mapped[str] = mapped_column(String(20), default="")
    cpu_pct: Mapped[float | None] = mapped_column(Float, default=None)
    bitrate_out_kbps: Mapped[float | None] = mapped_column(Float, default=None)
    bitrate_in_kbps: Mapped[float | None] = mapped_column(Float, default=None)
    loss_pct: Mapped[float | None] = mapped_column(Float, default=None)
    rtt_ms: Mapped[float | None] = mapped_column(Float, default=None)
    software_version: Mapped[str] = mapped_column(String(40), default="")
    address: Mapped[str] = mapped_column(String(64), default="")
    rejoins: Mapped[int] = mapped_column(Integer, default=0)
    last_rejoin_s: Mapped[float | None] = mapped_column(Float, default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)

    user: Mapped[User] = relationship(lazy="joined")


class EndpointAlert(Base):
    """An endpoint due in a live meeting but offline. Open while `cleared_at` is null."""

    __tablename__ = "endpoint_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[int] = mapped_column(Integer, index=True)
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None, index=True)
    last_seen: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)

    user: Mapped[User] = relationship(lazy="joined")
