"""A web process that stopped before sealing an ended meeting's archive (killed, or the machine
restarted): the next one seals it when it starts."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select

from conference import scheduling
from conference.archive.models import MeetingArchive
from core.db import engine_for, session_factory, session_scope
from core.people import User
from tests.conference.archive.recorded_files import record_files


def test_the_next_web_process_seals_what_the_last_one_left(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    directory = settings.recordings_dir / "meeting-left"
    directory.mkdir(parents=True)
    record_files(directory)
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as session:
        chair = session.execute(select(User).where(User.username == "chutoa")).scalar_one()
        meeting = scheduling.schedule(session, scheduling.MeetingIn(
            title="Giao ban bị ngắt", scheduled_at=datetime.now(UTC), chair="chutoa", invited=["dc-vinh"]), chair)
        scheduling.start(session, meeting, chair)
        scheduling.end(session, meeting, chair)
        session.add(MeetingArchive(meeting_id=meeting.id, state="recording", directory=str(directory),
                                   started_at=datetime.now(UTC)))
        meeting_id = meeting.id

    from web.app import create_app

    with TestClient(create_app(settings)):
        deadline = time.time() + 30
        while True:
            with session_factory(engine_for(settings.database_url))() as session:
                row = session.get(MeetingArchive, meeting_id)
                if row is not None and row.state == "sealed":
                    break
            assert time.time() < deadline, "not sealed"
            time.sleep(0.3)
    assert row.manifest_sha256 and not directory.exists()
