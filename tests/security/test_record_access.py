"""A meeting's record (attendance, timeline, minutes and their PDF, the record on the meeting page) is
read by the meeting's circle only: its chair and secretary, the leaders of the units that took part, the
clerks who register the minutes, and the roles the province grants. Everyone else gets 403."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from core.people import Role, User
from core.province import create_user
from core.units import Unit
from tests.conftest import DEMO_PASSWORD


def _ended_meeting(settings) -> int:  # type: ignore[no-untyped-def]
    from conference import journal, scheduling

    start = datetime.now(UTC) - timedelta(hours=1)
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
        users = {u.username: u for u in session.execute(select(User)).scalars()}
        units = {u.code: u for u in session.execute(select(Unit)).scalars()}
        create_user(session, username="ld-vinh", role=Role.chair, password=DEMO_PASSWORD,
                    full_name="Hồ Văn Lợi", unit=units["000.00.31.H41"])  # leader of a unit that took part
        create_user(session, username="ld-gtvt", role=Role.chair, password=DEMO_PASSWORD,
                    full_name="Bùi Văn Khánh", unit=units["000.00.08.H41"])  # leader of a unit that did not
        create_user(session, username="vt-vinh", role=Role.clerk, password=DEMO_PASSWORD,
                    full_name="Cao Thị Mai", unit=units["000.00.31.H41"])  # a clerk who registers no minutes
        body = scheduling.MeetingIn(title="Giao ban phòng chống bão số 3", scheduled_at=start, chair="chutoa",
                                    secretary="thuky", invited=["dc-vinh"])
        meeting = scheduling.schedule(session, body, users["chutoa"])
        scheduling.start(session, meeting, users["chutoa"])
        journal.open_attendance(session, meeting_id=meeting.id, user_id=users["dc-vinh"].id,
                                unit_id=users["dc-vinh"].unit_id, participant="dc-vinh", role="district",
                                at=start + timedelta(minutes=1))
        scheduling.end(session, meeting, users["chutoa"])
        return meeting.id


READERS = ("chutoa", "thuky", "ld-vinh", "vanthu", "admin")
OTHERS = ("chuyenvien", "motcua", "vanhanh", "ld-gtvt", "vt-vinh")


def _paths(client, auth_headers, settings) -> list[str]:  # type: ignore[no-untyped-def]
    mid = _ended_meeting(settings)
    drafted = client.post(f"/api/meetings/{mid}/minutes", headers=auth_headers(client, "thuky"))
    assert drafted.status_code == 201, drafted.text
    minutes = drafted.json()["id"]
    return [f"/api/minutes/{minutes}", f"/api/minutes/{minutes}/pdf", f"/api/meetings/{mid}/attendance",
            f"/api/meetings/{mid}/timeline", f"/minutes/{minutes}"]


def test_each_role_reads_a_meeting_record_only_in_its_circle(client, auth_headers, settings) -> None:  # type: ignore[no-untyped-def]
    paths = _paths(client, auth_headers, settings)
    for user in READERS + OTHERS:
        headers = auth_headers(client, user)
        for path in paths:
            status = client.get(path, headers=headers).status_code
            assert status == (200 if user in READERS else 403), (user, path, status)
        listed = client.get("/api/minutes", headers=headers).json()["items"]
        assert bool(listed) == (user in READERS), user
        page = client.get(paths[2].replace("/api/meetings", "/meetings").rsplit("/", 1)[0], headers=headers)
        assert page.status_code == 200 and ('id="attendance"' in page.text) == (user in READERS), user


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_province_grants_more_roles_by_setting(client, auth_headers, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    paths = _paths(client, auth_headers, settings)
    monkeypatch.setattr(settings, "record_reader_roles", ["operator"])
    for user, status in (("vanhanh", 200), ("admin", 403), ("chutoa", 200)):
        headers = auth_headers(client, user)
        assert [client.get(p, headers=headers).status_code for p in paths] == [status] * len(paths), user
