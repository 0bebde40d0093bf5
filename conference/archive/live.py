"""The archive's part in a live meeting, called by the signaling layer: recording starts with the
first media session of a recorded meeting (and is said again at each, so that a media worker that
restarted records again), and when the meeting ends the recorders close their files and the
archive is sealed in the background (`seal.py`); a recording stopped by low disk becomes an
event on the bus, which the operations center turns into an alert."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session

from core.filestore import FileStore

from ..media.errors import MediaError
from ..models import Meeting
from .mix import mix_program, record_mix
from .seal import begin, build, finish, load_manifest, prepare, recording_dir, wait_until_closed

log = logging.getLogger(__name__)
_sealing: set[asyncio.Task[None]] = set()  # kept here: the hub cancels its own tasks when media goes idle


async def record_room(hub: Any, meeting_id: int, room_id: str, media: Any) -> None:
    """Before a participant's media session: make the archive row and tell the workers to record."""
    settings = hub.settings

    def open_archive(session: Session) -> str | None:
        meeting = session.get(Meeting, meeting_id)
        row = begin(session, meeting, settings.recordings_dir) if meeting is not None else None
        return row.directory if row is not None and row.state == "recording" else None

    directory = await hub.db(open_archive)
    if directory is None:
        return
    try:
        await media.record(room_id, directory, settings.archive_min_free_bytes)
    except MediaError as exc:  # the meeting goes on unrecorded rather than not at all
        log.error("meeting %s: recording could not start: %s", meeting_id, exc.message)


def meeting_ended(hub: Any, meeting_id: int, room_id: str) -> None:
    """Stop the recorders and seal the archive, in the background."""
    task = asyncio.ensure_future(_seal_after_end(hub, meeting_id, room_id))
    _sealing.add(task)
    task.add_done_callback(_sealing.discard)


async def _seal_after_end(hub: Any, meeting_id: int, room_id: str) -> None:
    settings = hub.settings
    try:
        media = await hub.media()
        await media.record(room_id, None)
    except MediaError as exc:
        log.warning("meeting %s: could not tell the recorders to stop (%s); sealing what they wrote",
                    meeting_id, exc.message)
    directory = recording_dir(settings.recordings_dir, meeting_id)
    await asyncio.to_thread(wait_until_closed, directory)
    store = FileStore(settings.files_dir)
    retention = dict(settings.archive_retention_days)
    try:
        # read, then copy and hash with no transaction open, then write: see seal.SealJob
        job = await hub.db(prepare, meeting_id, write=False)
        if job is None:
            return
        manifest_sha256, reason = await asyncio.to_thread(build, job, store)

        def finish_now(session: Session) -> tuple[str, str | None] | None:
            row = finish(session, job, manifest_sha256, reason, retention)
            return None if row is None else (row.state, row.manifest_sha256)

        sealed = await hub.db(finish_now)
    except Exception:
        log.exception("meeting %s: sealing the archive failed", meeting_id)
        return
    if sealed is None or not sealed[1]:
        return
    await hub.publish("conference.archive", {"meeting": meeting_id, "status": sealed[0], "manifest": sealed[1]})
    # then, at the lowest priority, the program's voices mixed into one playback track
    try:
        manifest = await hub.db(lambda session: _manifest_to_mix(session, meeting_id), write=False)
        if manifest is not None:
            mixed = await asyncio.to_thread(mix_program, load_manifest(store, manifest), store)
            if mixed is not None:
                await hub.db(lambda session: record_mix(session, meeting_id, mixed[0]))
    except Exception:
        log.exception("meeting %s: mixing the program's voices failed (the sealed files are untouched)", meeting_id)


def _manifest_to_mix(session: Session, meeting_id: int) -> str | None:
    from .models import MeetingArchive

    row = session.get(MeetingArchive, meeting_id)
    return row.manifest_sha256 if row is not None and row.state == "sealed" and not row.mix_sha256 else None


async def recording_stopped(hub: Any, meeting_id: int, reason: str, worker: int) -> None:
    """A worker's recorder stopped (low disk): noted on the archive, told to the operations center."""
    def note(session: Session) -> None:
        from .models import MeetingArchive

        row = session.get(MeetingArchive, meeting_id)
        if row is not None and reason not in row.reason:
            row.reason = (row.reason + "; " if row.reason else "") + reason

    await hub.db(note)
    await hub.publish("conference.recording", {"meeting": meeting_id, "status": "stopped", "reason": reason,
                                               "worker": worker})


async def wait_for_sealing() -> None:
    """For tests and shutdown: until every seal started here has finished."""
    while _sealing:
        await asyncio.wait(list(_sealing))


def unsealed_ended(session: Session) -> list[int]:
    """Ended meetings whose archive is still "recording": the web process that would have sealed
    them stopped first (killed, or the machine restarted)."""
    from sqlalchemy import select

    from ..models import MeetingStatus
    from .models import MeetingArchive

    return list(session.execute(
        select(MeetingArchive.meeting_id).join(Meeting, Meeting.id == MeetingArchive.meeting_id)
        .where(MeetingArchive.state == "recording", Meeting.status == MeetingStatus.ended.value)).scalars())


def seal_left_over(read: Any, write: Any, settings: Any) -> list[int]:
    """Seal what a previous web process left unsealed (at start-up, in a thread); the meetings sealed."""
    from core.db import session_scope

    with read() as session:
        meetings = unsealed_ended(session)
    store = FileStore(settings.files_dir)
    done = []
    for meeting_id in meetings:
        with read() as session:
            job = prepare(session, meeting_id)
        if job is None:
            continue
        manifest_sha256, reason = build(job, store)  # recorders are long gone: nothing to wait for
        with session_scope(write) as session:
            finish(session, job, manifest_sha256, reason, dict(settings.archive_retention_days))
        done.append(meeting_id)
    return done
