"""A meeting's archive as the database knows it: where it is being recorded, then the manifest
that seals it (its SHA-256 names the manifest in the file store, and is printed in the minutes)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


class ArchiveState(StrEnum):
    recording = "recording"  # the meeting runs (or ended and its files are being sealed)
    sealed = "sealed"  # manifest written: files in the store
    failed = "failed"  # sealing failed: `reason` says why; `giaoban archive seal` tries again
    pruned = "pruned"  # past retention: the recordings were removed, the manifest stays


class MeetingArchive(Base):
    __tablename__ = "meeting_archives"

    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default=ArchiveState.recording.value, index=True)
    directory: Mapped[str] = mapped_column(String(500))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sealed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    # Why recording stopped before the meeting ended (low disk), or why sealing failed.
    reason: Mapped[str] = mapped_column(Text, default="")
    keep_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    pruned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    # The program with its voices mixed into one track (mix.py): derived after sealing, not sealed.
    mix_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
