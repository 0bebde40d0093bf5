"""Sealing a meeting's archive when it ends: every file the recorders wrote goes into the
content-addressed store, and a manifest lists them (SHA-256, size, codec, duration, participant,
start and end in Vietnam time, gaps, whether the file was cut short), itself stored under its own
SHA-256. That hash is what the minutes print before anyone signs them, so a later change to any
file, or to the list, shows (`verify.py`)."""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.filestore import FileStore
from core.people import User

from ..models import Meeting
from .models import ArchiveState, MeetingArchive
from .probe import probe

logger = logging.getLogger(__name__)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MANIFEST_VERSION = 1
CLOSE_WAIT_SECONDS = 20.0


def recording_dir(recordings_dir: Path, meeting_id: int) -> Path:
    return recordings_dir / f"meeting-{meeting_id}"


def vn_time(unix: float | None) -> str | None:
    return None if unix is None else datetime.fromtimestamp(unix, VIETNAM).isoformat(timespec="milliseconds")


def begin(session: Session, meeting: Meeting, recordings_dir: Path) -> MeetingArchive | None:
    """The meeting's archive row, made at its first join if it is recorded (None if not)."""
    if not meeting.record:
        return None
    row = session.get(MeetingArchive, meeting.id)
    if row is None:
        row = MeetingArchive(meeting_id=meeting.id, state=ArchiveState.recording.value,
                             directory=str(recording_dir(recordings_dir, meeting.id)), started_at=datetime.now(UTC))
        session.add(row)
        session.flush()
    return row


def index_entries(directory: Path) -> list[dict[str, Any]]:
    path = directory / "index.jsonl"
    if not path.exists():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except ValueError:
            continue  # a line cut by a killed recorder
    return entries


def files_still_open(directory: Path) -> list[str]:
    entries = index_entries(directory)
    closed = {e["file"] for e in entries if e.get("event") == "closed"}
    return [e["file"] for e in entries if e.get("event") == "open" and e["file"] not in closed]


def wait_until_closed(directory: Path, timeout: float = CLOSE_WAIT_SECONDS) -> list[str]:
    """Wait for the recorders to close what they opened; the files still open after `timeout`
    (their recorder was killed) are sealed as cut short."""
    deadline = time.monotonic() + timeout
    while (still := files_still_open(directory)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return still


def build_manifest(meeting: Any, directory: Path, store: FileStore, names: dict[str, str]) -> dict[str, Any]:
    """Store every recorded file and describe it; the manifest as a dict (not yet stored)."""
    entries = index_entries(directory)
    opened = {e["file"]: e for e in entries if e.get("event") == "open"}
    closed = {e["file"]: e for e in entries if e.get("event") == "closed"}
    stops = [e for e in entries if e.get("event") == "stopped"]
    files = []
    for name in sorted(opened):
        path = directory / name
        if not path.exists():
            continue
        info = closed.get(name)
        try:
            probed = probe(path)
        except Exception as exc:  # a file cut before its first cluster: listed, marked unreadable
            logger.warning("archive file %s unreadable: %s", path, exc)
            probed = None
        sha256, size = store.put_file(path)
        start = info["start"] if info and info.get("start") is not None else opened[name].get("opened_at")
        duration = round(probed.duration, 3) if probed else 0.0
        end = info["end"] if info and info.get("end") is not None else (start + duration if start else None)
        participant = opened[name]["participant"]
        files.append({
            "name": name, "sha256": sha256, "bytes": size,
            "codec": probed.codec if probed else opened[name]["codec"], "kind": opened[name]["kind"],
            "track": opened[name]["track"], "participant": participant, "participant_name": names.get(participant, ""),
            "duration": duration, "start": vn_time(start), "end": vn_time(end),
            "start_unix": start, "end_unix": end,
            "gaps": [[vn_time(a), vn_time(b)] for a, b in (info or {}).get("gaps", [])],
            "complete": info is not None and probed is not None,
            "closed_because": info["reason"] if info else "cut short: its recorder stopped before closing it",
            "dropped_packets": (info or {}).get("dropped_packets", 0),
            "dropped_frames": (info or {}).get("dropped_frames", 0),
        })
    return {
        "version": MANIFEST_VERSION, "meeting": getattr(meeting, "meeting_id", None) or meeting.id,
        "title": meeting.title,
        "timezone": "Asia/Ho_Chi_Minh",
        "started_at": _vn_datetime(meeting.started_at),
        "ended_at": _vn_datetime(meeting.ended_at),
        "stopped": [{"reason": s["reason"], "at": vn_time(s["at"])} for s in stops],
        "files": files,
    }


def _vn_datetime(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM).isoformat()


def manifest_bytes(manifest: dict[str, Any]) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=1).encode()


@dataclass(frozen=True)
class SealJob:
    """What sealing needs from the database, read first, so that copying and hashing the files
    (minutes for a long meeting) holds no transaction (SQLite's write lock would stop every other
    writer meanwhile)."""

    meeting_id: int
    title: str
    kind: str
    started_at: datetime | None
    ended_at: datetime | None
    directory: Path
    names: dict[str, str]


def prepare(session: Session, meeting_id: int) -> SealJob | None:
    """The job for an archive still to be sealed; None if there is none (not recorded, or sealed)."""
    row = session.get(MeetingArchive, meeting_id)
    meeting = session.get(Meeting, meeting_id)
    if row is None or meeting is None or row.state != ArchiveState.recording.value:
        return None
    directory = Path(row.directory)
    participants = {e["participant"] for e in index_entries(directory) if e.get("event") == "open"}
    names = {u.username: u.full_name for u in session.execute(
        select(User).where(User.username.in_(participants))).scalars()}
    return SealJob(meeting.id, meeting.title, meeting.kind, meeting.started_at, meeting.ended_at, directory, names)


def build(job: SealJob, store: FileStore) -> tuple[str | None, str]:
    """Store the files and the manifest: (the manifest's SHA-256, why recording stopped early), or
    (None, why sealing failed)."""
    try:
        manifest = build_manifest(job, job.directory, store, job.names)
        return store.put(manifest_bytes(manifest)), "; ".join(s["reason"] for s in manifest["stopped"])
    except OSError as exc:
        return None, f"sealing failed: {exc}"


def finish(session: Session, job: SealJob, manifest_sha256: str | None, reason: str,
           retention_days: dict[str, int]) -> MeetingArchive | None:
    row = session.get(MeetingArchive, job.meeting_id)
    if row is None or row.state != ArchiveState.recording.value:
        return row
    if manifest_sha256 is None:
        row.state, row.reason = ArchiveState.failed.value, reason
        return row
    row.manifest_sha256 = manifest_sha256
    row.state = ArchiveState.sealed.value
    row.sealed_at = datetime.now(UTC)
    row.reason = reason
    days = retention_days.get(job.kind)
    if days is not None:
        ended = job.ended_at or row.sealed_at
        ended = ended if ended.tzinfo else ended.replace(tzinfo=UTC)
        row.keep_until = ended + timedelta(days=days)
    session.flush()
    shutil.rmtree(job.directory, ignore_errors=True)  # the store has every byte now
    return row


def seal(session: Session, meeting_id: int, store: FileStore, retention_days: dict[str, int],
         wait: float = CLOSE_WAIT_SECONDS) -> MeetingArchive | None:
    """Seal the ended meeting's archive in one session (the command line's way; the web process
    runs the three steps apart). Idempotent: a sealed one is returned as it is."""
    job = prepare(session, meeting_id)
    if job is None:
        return session.get(MeetingArchive, meeting_id)
    wait_until_closed(job.directory, wait)
    manifest_sha256, reason = build(job, store)
    return finish(session, job, manifest_sha256, reason, retention_days)


def load_manifest(store: FileStore, sha256: str) -> dict[str, Any]:
    """The stored manifest (raises OSError if it is missing or does not match its hash)."""
    return json.loads(store.get(sha256))


def archive_seal(session: Session, meeting_id: int) -> tuple[str, str | None] | None:
    """(state, manifest SHA-256) of the meeting's archive, None if it was not recorded: what the
    minutes print (connected to documents by `web/wiring.py`)."""
    row = session.get(MeetingArchive, meeting_id)
    return None if row is None else (row.state, row.manifest_sha256)
