"""Tables of the dossier area: the procedure catalog, dossiers, their status history, paused intervals
and the per-unit daily code counters."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, SmallInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.units import Unit

TZ = DateTime(timezone=True)


class Procedure(Base):
    """An administrative procedure (thủ tục hành chính) as published in the catalog."""

    __tablename__ = "dos_procedures"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    field: Mapped[str] = mapped_column(String(200))  # lĩnh vực
    processing_days: Mapped[int] = mapped_column(Integer)  # working days
    level: Mapped[str] = mapped_column(String(12))  # toan_trinh | mot_phan
    cutoff: Mapped[bool] = mapped_column(Boolean, default=False)  # 15:00 same-day cut-off
    # province: one responsible unit (a department); district / commune: performed by every such unit.
    tier: Mapped[str] = mapped_column(String(10), default="province")
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    unit: Mapped[Unit | None] = relationship(lazy="joined")


class Dossier(Base):
    """One dossier; `status` holds the national portal's code (1-10)."""

    __tablename__ = "dos_dossiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    procedure_id: Mapped[int] = mapped_column(ForeignKey("dos_procedures.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    channel: Mapped[str] = mapped_column(String(8))  # desk | online
    status: Mapped[int] = mapped_column(SmallInteger)
    awaiting_approval: Mapped[bool] = mapped_column(Boolean, default=False)
    applicant_name: Mapped[str] = mapped_column(String(200))
    applicant_id_number: Mapped[str] = mapped_column(String(20), default="")
    applicant_phone: Mapped[str] = mapped_column(String(20), default="")
    applicant_address: Mapped[str] = mapped_column(String(300), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")
    submitted_at: Mapped[datetime] = mapped_column(TZ)
    # When a complete dossier was accepted: the clock starts here (NULL while an online one awaits checking).
    received_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    due_date: Mapped[date | None] = mapped_column(Date, default=None)
    paused_since: Mapped[datetime | None] = mapped_column(TZ, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    # Set by the deadline engine when the dossier is resolved: early | on_time | late.
    outcome: Mapped[str | None] = mapped_column(String(8), default=None)
    returned_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(TZ, default=None)  # refused or withdrawn
    received_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    new_return_date: Mapped[date | None] = mapped_column(Date, default=None)  # from the apology slip
    apology_reason: Mapped[str] = mapped_column(String(1000), default="")
    apology_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    updated_at: Mapped[datetime] = mapped_column(TZ)

    procedure: Mapped[Procedure] = relationship(lazy="joined")
    unit: Mapped[Unit] = relationship(lazy="joined")


class DossierEvent(Base):
    """One status change (or note) in a dossier's history: who, when, from which status to which, why."""

    __tablename__ = "dos_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dos_dossiers.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    to_status: Mapped[int] = mapped_column(SmallInteger)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(TZ)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")


class DossierPause(Base):
    """An interval when the clock stood still: supplement requested, payment requested or stopped."""

    __tablename__ = "dos_pauses"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dos_dossiers.id", ondelete="CASCADE"))
    status: Mapped[int] = mapped_column(SmallInteger)  # 5, 6 or 8
    started_at: Mapped[datetime] = mapped_column(TZ)
    ended_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    reason: Mapped[str] = mapped_column(String(1000), default="")


class DossierCounter(Base):
    """The last sequence number given to a unit's dossiers on one day (codes restart daily)."""

    __tablename__ = "dos_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)
