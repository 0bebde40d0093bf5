"""Tables of the minutes: one row per meeting's minutes (the record it was drafted from, the
secretary's content, the current PDF and the outgoing number once issued) and one row per signature."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

TZ = DateTime(timezone=True)


class MinutesStatus(StrEnum):
    draft = "draft"  # the secretary edits; nobody has signed
    secretary_signed = "secretary_signed"
    chair_signed = "chair_signed"
    issued = "issued"  # the organisation signed; numbered and in the outgoing register


class SignatoryRole(StrEnum):
    secretary = "secretary"
    chair = "chair"
    organisation = "organisation"


class Minutes(Base):
    __tablename__ = "minutes_minutes"

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(Integer, unique=True)
    status: Mapped[str] = mapped_column(String(20), default=MinutesStatus.draft.value, index=True)
    subject: Mapped[str] = mapped_column(String(500))
    source: Mapped[str] = mapped_column(Text)  # MinutesSource as JSON
    content: Mapped[str] = mapped_column(Text)  # MinutesContent as JSON
    secretary_username: Mapped[str] = mapped_column(String(64), default="")
    chair_username: Mapped[str] = mapped_column(String(64), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))  # the issuing body
    # The PDF as last signed (None while a draft: drafts are rendered on demand).
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    code: Mapped[str] = mapped_column(String(64), default="")  # "12/BB-UBND"
    document_id: Mapped[int | None] = mapped_column(ForeignKey("doc_documents.id"), default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)

    signatures: Mapped[list[MinutesSignature]] = relationship(
        back_populates="minutes", cascade="all, delete-orphan", order_by="MinutesSignature.id", lazy="selectin")

    __mapper_args__ = {"version_id_col": version}


class MinutesSignature(Base):
    __tablename__ = "minutes_signatures"
    __table_args__ = (UniqueConstraint("minutes_id", "role", name="uq_minutes_signatures_role"),
                      UniqueConstraint("minutes_id", "user_id", name="uq_minutes_signatures_person"))

    id: Mapped[int] = mapped_column(primary_key=True)
    minutes_id: Mapped[int] = mapped_column(ForeignKey("minutes_minutes.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    credential_id: Mapped[str] = mapped_column(String(64))
    certificate_subject: Mapped[str] = mapped_column(String(500), default="")
    level: Mapped[str] = mapped_column(String(8))  # PAdES level reached: B-T or B-LT
    signed_at: Mapped[datetime] = mapped_column(TZ)
    pdf_sha256: Mapped[str] = mapped_column(String(64))

    minutes: Mapped[Minutes] = relationship(back_populates="signatures")
