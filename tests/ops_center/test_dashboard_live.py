"""The dashboard's WebSocket: who may open it, and that it pushes changes as they happen."""

from __future__ import annotations

import time

import pytest
from starlette.websockets import WebSocketDisconnect

from core.bus import get_bus
from core.db import engine_for, session_factory, session_scope
from ops_center.alerts.rules import is_night
from ops_center.models import Camera
from tests.ops_center.dashboard_helpers import Feed, store_signal


def test_dashboard_api_checks_the_period(client, auth_headers):
    op = auth_headers(client, "vanhanh")
    assert client.get("/api/ops/dashboard?period=decade", headers=op).status_code == 422
    assert client.get("/api/ops/dashboard?period=week", headers=op).json()["dossier_period"] == "week"


def test_dashboard_socket_needs_a_viewer(client, login):
    with pytest.raises(WebSocketDisconnect) as anonymous, client.websocket_connect("/ops/ws") as ws:
        ws.receive_json()
    assert anonymous.value.code == 4401
    login(client, "motcua")  # the one-stop desk has no business on the operations screen
    with pytest.raises(WebSocketDisconnect) as refused, client.websocket_connect("/ops/ws") as ws:
        ws.receive_json()
    assert refused.value.code == 4403


def test_dashboard_pushes_camera_events_alerts_and_meeting_state(client, login, settings):
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        cam = Camera(name="Cổng UBND tỉnh", stream_url="http://127.0.0.1:9/cam.mjpg", zones=[], masks=[])
        s.add(cam)
        s.flush()
        cid = str(cam.id)
    login(client, "vanhanh")
    with client.websocket_connect("/ops/ws") as ws:
        feed = Feed(ws)
        first = feed.first()
        assert first["camera_counts"] == {"total": 1, "online": 0, "offline": 0, "unknown": 1, "people": 0}
        assert first["kpi"]["documents"]["available"] in (True, False)

        now = time.time()
        store_signal(settings, "camera.online", {"camera_id": cid, "at": now})
        store_signal(settings, "camera.health", {"camera_id": cid, "at": now, "state": "online", "fps": 10.0,
                                            "analysis_fps": 5.0, "last_frame_at": now, "errors": 0,
                                            "resolution": [640, 360]})
        state = feed.until(lambda s: s["camera_counts"]["online"] == 1)
        assert state["cameras"][0]["health"]["fps"] == 10.0

        store_signal(settings, "motion.start", {"camera_id": cid, "event_id": "e" * 32, "start": now, "at": now})
        published = store_signal(settings, "motion.end", {"camera_id": cid, "event_id": "e" * 32, "start": now,
                                                     "end": now + 4, "peak_people": 2, "peak_area": 0.1})
        # Published on the bus, the dashboard wakes at once instead of at its next poll.
        for topic, payload in published:
            client.portal.call(get_bus().publish, topic, payload)
        state = feed.until(lambda s: s["events"] and s["events"][0]["peak_people"] == 2)
        assert state["events"][0]["peak_people"] == 2 and state["events"][0]["camera"] == "Cổng UBND tỉnh"
        assert sum(state["activity"]["events"]) == 1

        store_signal(settings, "camera.offline", {"camera_id": cid, "at": now + 10, "last_frame_at": now + 5})
        state = feed.until(lambda s: any(a["kind"] == "camera_offline" for a in s["alerts"]))
        assert state["camera_counts"]["offline"] == 1
        # The movement above raised a night alert too when this runs between 22:00 and 05:00 in
        # Vietnam (15:00-22:00 UTC): the test used to fail then.
        night = is_night(now, 22, 5)
        assert {a["kind"] for a in state["alerts"]} == {"camera_offline"} | ({"motion_night"} if night else set())

        # An endpoint dropping out of a meeting is an alert, raised by the web process's listener;
        # rejoining clears it.
        dropped = {"meeting": 1, "participant": "dc-vinh", "unit": "000.00.31.H41", "reason": "disconnected"}
        client.portal.call(get_bus().publish, "conference.left", dropped)
        state = feed.until(lambda s: any(a["kind"] == "endpoint_offline" for a in s["alerts"]))
        client.portal.call(get_bus().publish, "conference.joined", {"meeting": 1, "participant": "dc-vinh"})
        feed.until(lambda s: not any(a["kind"] == "endpoint_offline" for a in s["alerts"]))

        # Documents announced on the bus count on the screen even before the documents area offers figures.
        before = state["kpi"]["documents"].get("received_today") or 0
        client.portal.call(get_bus().publish, "documents.registered",
                           {"id": 41, "register": "in", "code": "15/UBND-KT", "urgency": "hoa_toc", "state":
                            "registered"})
        state = feed.until(lambda s: any(a["kind"] == "urgent_document" for a in s["alerts"]))
        if state["kpi"]["documents"].get("source") == "bus":
            assert state["kpi"]["documents"]["received_today"] == before + 1


def test_a_failing_feed_closes_the_socket_instead_of_going_silent(client, login, monkeypatch):
    """A page whose feed broke must learn it (and reconnect), not sit on the last state it got."""
    import ops_center.live as live

    login(client, "vanhanh")
    with client.websocket_connect("/ops/ws") as ws:
        Feed(ws).first()

        def broken(*args, **kwargs):
            raise RuntimeError("database went away")

        monkeypatch.setattr(live, "dashboard_state", broken)
        with pytest.raises(WebSocketDisconnect) as gone:
            for _ in range(10):
                ws.receive_json()
        assert gone.value.code == 1011


def test_a_quiet_screen_still_hears_heartbeats(client, login, monkeypatch):
    import ops_center.live as live

    monkeypatch.setattr(live, "HEARTBEAT_S", 0.5)
    login(client, "vanhanh")
    with client.websocket_connect("/ops/ws") as ws:
        assert ws.receive_json()["type"] == "state"
        kinds = {ws.receive_json()["type"] for _ in range(2)}
        assert "heartbeat" in kinds
