"""Connections that die without closing: a silent socket is replaced by a new join of the same
account, and intervals a killed web process left open are closed when the next one starts."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from conference import signaling
from conference.journal import Attendance, SpeakingTurn, aware
from conference.media.messages import LinkSample, StatsEvent
from core.people import User
from tests.conference.helpers import join, receive_until, schedule_meeting, send, socket


def test_silent_socket_is_taken_over_by_a_new_join(client, auth_headers, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(signaling, "TAKEOVER_SILENCE_SECONDS", 3.0)
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as old:
        join(host, mid, "host")
        join(old, mid, "district")
        assert host.receive_json()["type"] == "participant_joined"
        time.sleep(3.5)  # the old socket says nothing: its network is cut
        with socket(client, mid, "dc-vinh") as new:
            welcome = join(new, mid, "district")
            assert welcome["you"]["participant"] == "dc-vinh"
            with pytest.raises(WebSocketDisconnect) as closed:
                while True:
                    old.receive_json()
            assert closed.value.code == 4002
            assert host.receive_json() == {"v": 1, "type": "participant_left", "participant": "dc-vinh",
                                           "reason": "disconnected"}
            assert host.receive_json()["type"] == "participant_joined"
            # A socket that keeps talking is not taken over.
            headers = auth_headers(client, "dc-vinh")
            send(new, type="ping")
            assert new.receive_json()["type"] == "pong"
            with client.websocket_connect(f"/ws/meetings/{mid}", headers=headers) as third:
                send(third, type="join", role="district")
                assert third.receive_json()["code"] == "duplicate_identity"
    attendance = client.get(f"/api/meetings/{mid}/attendance", headers=auth_headers(client, "chutoa")).json()
    vinh = next(u for u in attendance["units"] if u["participants"] == ["dc-vinh"])
    assert [i["reason"] for i in vinh["intervals"]] == ["disconnected", "disconnected"]
    assert vinh["reconnects"] == 1
    # The record shows the outage from when the old socket fell silent, not from the takeover.
    first, second = vinh["intervals"]
    gap = datetime.fromisoformat(second["joined_at"]) - datetime.fromisoformat(first["left_at"])
    assert gap.total_seconds() >= 3.0


def test_intervals_left_open_by_a_killed_process_are_closed(app, client, session) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    vinh = session.execute(select(User).where(User.username == "dc-vinh")).scalar_one()
    joined = datetime.now(UTC) - timedelta(minutes=5)
    last_report = joined + timedelta(minutes=2)
    session.add(Attendance(meeting_id=mid, user_id=vinh.id, participant="dc-vinh", role="district",
                           unit_id=vinh.unit_id, joined_at=joined, stats_at=last_report, last_stats="{}"))
    session.add(SpeakingTurn(meeting_id=mid, participant="dc-vinh", user_id=vinh.id, started_at=joined))
    session.commit()
    with TestClient(app):  # a web process starting on this database
        pass
    session.expire_all()
    row = session.execute(select(Attendance).where(Attendance.meeting_id == mid)).scalar_one()
    assert aware(row.left_at) == last_report and row.leave_reason == "disconnected"
    turn = session.execute(select(SpeakingTurn).where(SpeakingTurn.meeting_id == mid)).scalar_one()
    assert aware(turn.ended_at) == last_report


def test_media_that_stops_arriving_ends_the_interval_at_the_last_sample_that_saw_it(app, client,  # type: ignore[no-untyped-def]
                                                                                    auth_headers) -> None:
    """A district whose packets stop (its uplink failed) and whose agent then gives up and closes
    its socket was gone from the moment its media stopped, not from the close."""
    mid = schedule_meeting(client)["id"]

    def report(packets_in: int) -> float:  # what a media worker reports every 3 s, as it would
        hub = app.state.conference_hub
        sample = LinkSample(participant="dc-vinh", state="connected", packets_in=packets_in,
                           bytes_in=packets_in * 900, bytes_out=0, packets_out=0, loss_in_pct=0, loss_out_pct=0,
                           jitter_in_ms=0, jitter_out_ms=0, rtt_ms=None, retransmitted=0, remb_bps=None)
        event = StatsEvent(room=f"meeting-{mid}", worker=0, participants=[sample])
        asyncio.run_coroutine_threadsafe(hub.on_media_event(event), hub.loop).result(10)
        return time.time()

    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as vinh:
        join(host, mid, "host")
        join(vinh, mid, "district")
        report(150)
        time.sleep(0.5)
        last_flowing = report(420)
        time.sleep(1.5)
        report(420)  # nothing arrived since the last report
        time.sleep(1.5)
        send(vinh, type="ping")
        assert receive_until(vinh, "pong")  # the socket itself is alive until it closes
    attendance = client.get(f"/api/meetings/{mid}/attendance", headers=auth_headers(client, "chutoa")).json()
    (interval,) = next(u for u in attendance["units"] if u["participants"] == ["dc-vinh"])["intervals"]
    left = datetime.fromisoformat(interval["left_at"]).timestamp()
    assert interval["reason"] == "disconnected"
    assert last_flowing - 0.3 <= left <= last_flowing + 0.3
