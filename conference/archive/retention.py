"""Retention: a sealed archive is kept for its meeting kind's period (settings.archive_retention_days,
counted from the meeting's end; a kind not listed is kept for ever). Pruning removes the recorded
files from the store and keeps the manifest and the row (state pruned), so `verify` can still say
what was there and that the minutes' seal matches it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.filestore import FileStore

from .models import ArchiveState, MeetingArchive
from .seal import load_manifest


@dataclass
class Prunable:
    meeting_id: int
    keep_until: datetime
    files: int
    bytes: int


def prune(session: Session, store: FileStore, *, now: datetime | None = None, dry_run: bool = True) -> list[Prunable]:
    """The archives past their retention; removed unless `dry_run`."""
    now = now or datetime.now(UTC)
    rows = session.execute(select(MeetingArchive).where(MeetingArchive.state == ArchiveState.sealed.value,
                                                        MeetingArchive.keep_until.is_not(None))
                           .order_by(MeetingArchive.keep_until)).scalars().all()
    out = []
    for row in rows:
        keep_until = row.keep_until if row.keep_until.tzinfo else row.keep_until.replace(tzinfo=UTC)  # type: ignore[union-attr]
        if keep_until > now or not row.manifest_sha256:
            continue
        files = load_manifest(store, row.manifest_sha256)["files"]
        out.append(Prunable(row.meeting_id, keep_until, len(files), sum(f["bytes"] for f in files)))
        if not dry_run:
            for entry in files:
                store.remove(entry["sha256"])
            row.state = ArchiveState.pruned.value
            row.pruned_at = now
    return out
