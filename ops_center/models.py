"""The operations center's tables: cameras, their health, events, alerts and alert rules."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.units import Unit

TZ = DateTime(timezone=True)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything here is stored in UTC."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Camera(Base):
    __tablename__ = "ops_cameras"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    location: Mapped[str] = mapped_column(String(300), default="")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    site: Mapped[str] = mapped_column(String(200), default="")  # e.g. "Trụ sở UBND xã", a camera group
    stream_url: Mapped[str] = mapped_column(String(1000))
    substream_url: Mapped[str | None] = mapped_column(String(1000), default=None)
    transport: Mapped[str] = mapped_column(String(3), default="tcp")  # RTSP over tcp or udp
    zones: Mapped[list[Any]] = mapped_column(JSON, default=list)
    masks: Mapped[list[Any]] = mapped_column(JSON, default=list)
    analysis_fps: Mapped[float] = mapped_column(Float, default=5.0)
    people_fps: Mapped[float] = mapped_column(Float, default=2.0)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow, onupdate=utcnow)

    unit: Mapped[Unit | None] = relationship(lazy="joined")
    health: Mapped[CameraHealthRow | None] = relationship(lazy="joined", uselist=False,
                                                          cascade="all, delete-orphan")


class CameraHealthRow(Base):
    """What the ingest worker last reported; written by the ingest process, read by the dashboard."""

    __tablename__ = "ops_camera_health"

    camera_id: Mapped[int] = mapped_column(ForeignKey("ops_cameras.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="connecting")
    fps: Mapped[float] = mapped_column(Float, default=0.0)
    analysis_fps: Mapped[float] = mapped_column(Float, default=0.0)
    last_frame_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    offline_since: Mapped[datetime | None] = mapped_column(TZ, default=None)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), default=None)
    resolution: Mapped[str | None] = mapped_column(String(20), default=None)
    people: Mapped[int] = mapped_column(Integer, default=0)
    zone_people: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    fault: Mapped[str | None] = mapped_column(String(30), default=None)
    reported_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    # Which ingest process reads the camera, under which lease: a report with an older fencing token
    # (a process that stalled past its lease) is not stored.
    owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_token: Mapped[int] = mapped_column(BigInteger, default=0)
    owner_since: Mapped[datetime | None] = mapped_column(TZ, default=None)
    takeover_gap_s: Mapped[float | None] = mapped_column(Float, default=None)  # silence at the last hand-over
    handover_dark_since: Mapped[datetime | None] = mapped_column(TZ, default=None)  # taken over, no picture yet
    # The codec the main stream carried when last opened for the wall (h264, hevc, mjpeg...); None: not read yet.
    main_codec: Mapped[str | None] = mapped_column(String(20), default=None)


class CameraEvent(Base):
    __tablename__ = "ops_camera_events"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    camera_id: Mapped[int] = mapped_column(ForeignKey("ops_cameras.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="motion")
    started_at: Mapped[datetime] = mapped_column(TZ, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    peak_people: Mapped[int] = mapped_column(Integer, default=0)
    peak_area: Mapped[float] = mapped_column(Float, default=0.0)
    snapshot_path: Mapped[str | None] = mapped_column(String(500), default=None)
    clip_path: Mapped[str | None] = mapped_column(String(500), default=None)


class Alert(Base):
    __tablename__ = "ops_alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), index=True)
    key: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(10))
    title: Mapped[str] = mapped_column(String(300))
    source: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(15), default="open", index=True)
    count: Mapped[int] = mapped_column(Integer, default=1)
    raised_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(TZ, default=utcnow)
    acked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    acked_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    ack_comment: Mapped[str | None] = mapped_column(Text, default=None)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    escalated_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(TZ, default=None)


class AlertRuleRow(Base):
    """An operator's settings for one kind of alert; kinds without a row use the defaults."""

    __tablename__ = "ops_alert_rules"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    severity: Mapped[str] = mapped_column(String(10))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    camera_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(TZ, default=utcnow, onupdate=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64), default="")
