"""Several web processes share the meetings (the live state in Redis): a meeting's sockets on any of
them, changes told on all, and a web process killed with SIGKILL loses nothing: its participants
come back on another and find the meeting as it was, their attendance without a gap; who does not
come back within the grace period has its interval end when it was last heard; a host action the
killed process had applied is recorded once, and sent again it is not applied twice."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from conference.journal import Attendance, MeetingAction, aware
from conference.upkeep import RESUME_GRACE_SECONDS
from core.db import engine_for, session_factory, session_scope
from core.settings import Settings
from tests.conference.conftest import REDIS, redis_up
from tests.conference.web_processes import Client, WebProcess, rejoin, token, web_env
from tests.conftest import free_port

pytestmark = pytest.mark.skipif(not redis_up(), reason="needs Redis at 127.0.0.1:6379")
PEOPLE = ["chutoa", "thuky", "dc-vinh", "dc-cualo", "dc-thaihoa"]


def _schedule(base: str, bearer: str, invited: list[str]) -> int:
    body = {"title": "Giao ban trực tuyến - nhiều tiến trình web", "place": "Phòng họp trực tuyến UBND tỉnh",
            "scheduled_at": "2026-11-25T08:00:00+07:00", "chair": "chutoa", "secretary": "thuky",
            "invited": invited, "agenda": [{"title": "Ý kiến các địa phương"}]}
    response = httpx.post(f"{base}/api/meetings", json=body, headers={"Authorization": f"Bearer {bearer}"},
                          timeout=30)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


@pytest.fixture
def web_pair(settings: Settings, namespace: str, tmp_path: Path, request: pytest.FixtureRequest
             ) -> Iterator[tuple[WebProcess, WebProcess]]:
    """Two web processes on their own ports, one database, one live state; the first one's host
    actions may be asked to pause between their change and their record (to be killed there)."""
    pause = getattr(request, "param", "")
    a = WebProcess(web_env(settings, REDIS, namespace, GIAOBAN_FAULT_PAUSE_AFTER_CONTROL_S=pause), free_port(),
                   tmp_path / "web-a.log")
    b = WebProcess(web_env(settings, REDIS, namespace), free_port(), tmp_path / "web-b.log")
    try:
        a.wait_ready()
        b.wait_ready()
        yield a, b
    finally:
        a.stop()
        b.stop()


def _rows(settings: Settings, model: Any, meeting_id: int) -> list[Any]:
    factory = session_factory(engine_for(settings.database_url), write=False)
    with session_scope(factory) as session:
        rows = session.execute(select(model).where(model.meeting_id == meeting_id).order_by(model.id)).scalars().all()
        session.expunge_all()
        return list(rows)


def test_killing_a_web_process_keeps_the_meeting_and_the_attendance_honest(
        web_pair: tuple[WebProcess, WebProcess], settings: Settings) -> None:
    a, b = web_pair
    bearer = {name: token(b.base, name) for name in PEOPLE}
    meeting_id = _schedule(b.base, bearer["thuky"], ["dc-vinh", "dc-cualo", "dc-thaihoa"])
    chair = Client(a.base, meeting_id, bearer["chutoa"])
    chair.join("host")
    cualo = Client(a.base, meeting_id, bearer["dc-cualo"])
    cualo.join("district")
    thaihoa = Client(a.base, meeting_id, bearer["dc-thaihoa"])
    thaihoa.join("district")
    vinh = Client(b.base, meeting_id, bearer["dc-vinh"])
    welcome = vinh.join("district")
    # On B, the participants on A are in the meeting.
    assert {p["participant"] for p in welcome["participants"]} == {"chutoa", "dc-cualo", "dc-thaihoa"}

    # Changes on either process reach the sockets on both.
    vinh.send(type="raise_hand", raised=True, ref="h1")
    chair.until("hand_raised", participant="dc-vinh", raised=True)
    chair.send(type="mute", participant="dc-cualo", muted=True, ref="m1")
    vinh.until("muted", participant="dc-cualo", muted=True)
    chair.send(type="spotlight", participant="dc-vinh", ref="s1")
    vinh.until("spotlight", participant="dc-vinh")
    thaihoa.send(type="ping", ref="p")
    thaihoa.until("pong")
    last_heard = time.time()

    a.kill()
    killed = time.time()
    # The chair and Cửa Lò come back on B (clients reconnect to a survivor): the meeting as it was.
    chair2, again = rejoin(b.base, meeting_id, bearer["chutoa"], "host")
    assert again["raised_hands"] == ["dc-vinh"] and again["spotlight"] == "dc-vinh"
    others = {p["participant"]: p for p in again["participants"]}
    assert set(others) == {"dc-vinh", "dc-cualo", "dc-thaihoa"}  # Thái Hòa still within its grace period
    assert others["dc-cualo"]["muted"] is True and others["dc-vinh"]["hand_raised"] is True
    cualo2, back = rejoin(b.base, meeting_id, bearer["dc-cualo"], "district")
    assert back["you"]["muted"] is True

    # Thái Hòa does not come back: after the grace period the others are told it left.
    vinh.until("participant_left", seconds=RESUME_GRACE_SECONDS + 20, participant="dc-thaihoa")
    deadline = time.monotonic() + 10  # the record is closed just after the others are told
    while (attendance := {row.participant: row for row in _rows(settings, Attendance, meeting_id)}
           )["dc-thaihoa"].left_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
    intervals = [row.participant for row in _rows(settings, Attendance, meeting_id)]
    # Back within the grace period: one interval, no gap, still open.
    assert intervals.count("chutoa") == 1 and intervals.count("dc-cualo") == 1
    assert attendance["chutoa"].left_at is None and attendance["dc-cualo"].left_at is None
    # Gone: its interval ends when it was last heard (its ping), not when the others noticed.
    gone = attendance["dc-thaihoa"]
    assert gone.leave_reason == "disconnected"
    assert last_heard - 2 <= aware(gone.left_at).timestamp() <= killed
    assert (datetime.now(UTC) - aware(gone.left_at)).total_seconds() > RESUME_GRACE_SECONDS

    # The meeting goes on on B: a control from the chair reaches Vinh.
    chair2.send(type="grant_floor", participant="dc-vinh", ref="f1")
    vinh.until("floor_granted", participant="dc-vinh")
    chair2.until("ack", ref="f1")  # answered once the action is in the record, after its media calls
    actions = [(row.action, row.target) for row in _rows(settings, MeetingAction, meeting_id)]
    assert actions.count(("mute", "dc-cualo")) == 1 and ("grant_floor", "dc-vinh") in actions
    for client in (chair2, cualo2, vinh):
        client.close()


@pytest.mark.parametrize("web_pair", ["20"], indirect=True)
def test_a_host_action_cut_by_a_kill_is_applied_and_recorded_once(
        web_pair: tuple[WebProcess, WebProcess], settings: Settings) -> None:
    a, b = web_pair
    bearer = {name: token(b.base, name) for name in PEOPLE}
    meeting_id = _schedule(b.base, bearer["thuky"], ["dc-vinh", "dc-cualo"])
    chair = Client(a.base, meeting_id, bearer["chutoa"])
    chair.join("host")
    vinh = Client(b.base, meeting_id, bearer["dc-vinh"])
    vinh.join("district")
    chair.until("participant_joined")

    # A applies the mute, tells everyone, and is killed before it writes the record's row.
    chair.send(type="mute", participant="dc-vinh", muted=True, ref="act-7")
    vinh.until("muted", participant="dc-vinh", muted=True)
    a.kill()
    assert _rows(settings, MeetingAction, meeting_id) == []

    # The chair's page comes back on B and sends the same control again (same ref): acknowledged,
    # not applied a second time.
    chair2, welcome = rejoin(b.base, meeting_id, bearer["chutoa"], "host")
    assert {p["participant"]: p["muted"] for p in welcome["participants"]} == {"dc-vinh": True}
    chair2.send(type="mute", participant="dc-vinh", muted=True, ref="act-7")
    chair2.until("ack", ref="act-7")
    assert vinh.quiet_for("muted", 2) == []

    # B finishes what A left: the row is written once.
    deadline = time.monotonic() + 20
    while not _rows(settings, MeetingAction, meeting_id) and time.monotonic() < deadline:
        time.sleep(0.3)
    time.sleep(3)  # a second sweep finds nothing more to do
    rows = _rows(settings, MeetingAction, meeting_id)
    assert [(row.action, row.actor, row.target) for row in rows] == [("mute", "chutoa", "dc-vinh")]
    chair2.close()
    vinh.close()


def test_redis_stopped_refuses_clearly_and_the_meeting_heals_when_it_is_back(
        settings: Settings, own_redis: tuple[int, Any], tmp_path: Path) -> None:
    port, (start, stop) = own_redis
    web = WebProcess(web_env(settings, f"redis://127.0.0.1:{port}/0", "giaoban:"), free_port(), tmp_path / "web.log")
    try:
        web.wait_ready()
        bearer = {name: token(web.base, name) for name in PEOPLE}
        meeting_id = _schedule(web.base, bearer["thuky"], ["dc-vinh", "dc-cualo"])
        chair = Client(web.base, meeting_id, bearer["chutoa"])
        chair.join("host")
        vinh = Client(web.base, meeting_id, bearer["dc-vinh"])
        vinh.join("district")

        stop()
        chair.send(type="mute", participant="dc-vinh", muted=True, ref="m1")
        refused = chair.until("error", ref="m1")
        assert refused["code"] == "live_state_unavailable" and "thử lại" in refused["message"]
        late = Client(web.base, meeting_id, bearer["dc-cualo"])
        late.send(type="join", meeting=meeting_id, role="district", ref="join")
        assert late.until("error", ref="join")["code"] == "live_state_unavailable"
        chair.send(type="ping", ref="p")  # the socket stays open
        chair.until("pong", ref="p")
        page = httpx.get(f"{web.base}/api/meetings/{meeting_id}", headers={"Authorization": f"Bearer "
                                                                                        f"{bearer['chutoa']}"})
        assert page.status_code == 200

        start()  # empty: the state was lost; the web process puts its sockets' seats back
        deadline = time.monotonic() + 20
        while True:
            chair.send(type="mute", participant="dc-vinh", muted=True, ref=f"m-{time.monotonic()}")
            answer = chair.until_any({"ack", "error"})
            if answer["type"] == "ack":
                break
            assert answer["code"] in ("live_state_unavailable", "unknown_participant"), answer
            assert time.monotonic() < deadline, answer
            time.sleep(0.5)
        vinh.until("muted", participant="dc-vinh", muted=True)
        late.send(type="join", meeting=meeting_id, role="district", ref="join2")
        assert late.until_any({"welcome", "error"})["type"] == "welcome"
        for client in (chair, vinh, late):
            client.close()
    finally:
        web.stop()
    log = (tmp_path / "web.log").read_text()
    assert '"GET /api/meetings' in log and '" 500' not in log  # its access log: no answer was a 500
