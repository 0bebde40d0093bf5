"""The operators' endpoint registry: health reports from the agents, online/offline, link quality,
the page in Vietnamese, and the offline alert for an endpoint due in a live meeting."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from core.bus import InProcessBus, set_bus
from core.db import session_factory
from endpoints.alerts import check_alerts, watch
from tests.conftest import auth_headers

REPORT = {"status": "in_meeting", "meeting_id": None, "camera": "ok", "microphone": "ok", "cpu_pct": 12.5,
          "bitrate_out_kbps": 690.0, "bitrate_in_kbps": 540.0, "loss_pct": 0.4, "rtt_ms": 23.0,
          "software_version": "0.1.0", "rejoins": 2, "last_rejoin_s": 3.1, "last_error": "", "host": "dc-box-1"}


@pytest.fixture
def no_background_check(monkeypatch):  # type: ignore[no-untyped-def]
    """The web process checks alerts every 5 s; tests that call the check themselves keep it out of the way."""
    import endpoints.alerts

    monkeypatch.setattr(endpoints.alerts, "CHECK_EVERY_S", 3600.0)


def schedule_and_start(client, invited: list[str]) -> int:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, "thuky")
    created = client.post("/api/meetings", headers=headers, json={
        "title": "Giao ban trực tuyến tháng 11", "scheduled_at": "2026-11-25T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": invited})
    assert created.status_code == 201, created.text
    meeting_id = created.json()["id"]
    assert client.post(f"/api/meetings/{meeting_id}/start", headers=headers).status_code == 200
    return meeting_id


def row(client, username: str) -> dict:  # type: ignore[no-untyped-def]
    body = client.get("/api/endpoints", headers=auth_headers(client, "vanhanh")).json()
    return next(e for e in body["endpoints"] if e["username"] == username)


def test_health_report_shows_in_registry(client) -> None:  # type: ignore[no-untyped-def]
    before = row(client, "dc-vinh")
    assert before["online"] is False and before["status"] == "offline"
    response = client.post("/api/endpoints/dc-vinh/health", json=REPORT, headers=auth_headers(client, "dc-vinh"))
    assert response.status_code == 204, response.text
    after = row(client, "dc-vinh")
    assert after["online"] is True
    assert after["status"] == "in_meeting"
    assert after["quality"] == "good"
    assert after["bitrate_out_kbps"] == 690.0 and after["rtt_ms"] == 23.0
    assert after["software_version"] == "0.1.0" and after["rejoins"] == 2
    body = client.get("/api/endpoints", headers=auth_headers(client, "admin")).json()
    assert body["total"] == 26 and body["online"] == 1


def test_poor_link_is_graded_poor(client) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/endpoints/dc-kyson/health", json=REPORT | {"loss_pct": 9.0, "rtt_ms": 480.0},
                headers=auth_headers(client, "dc-kyson"))
    assert row(client, "dc-kyson")["quality"] == "poor"


def test_endpoint_reports_only_for_itself(client) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/endpoints/dc-cualo/health", json=REPORT, headers=auth_headers(client, "dc-vinh"))
    assert response.status_code == 403
    assert "dc-cualo" in response.json()["detail"]
    assert row(client, "dc-cualo")["online"] is False


def test_people_cannot_post_health_and_endpoints_cannot_read_registry(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post("/api/endpoints/dc-vinh/health", json=REPORT,
                       headers=auth_headers(client, "vanhanh")).status_code == 403
    assert client.get("/api/endpoints", headers=auth_headers(client, "dc-vinh")).status_code == 403
    assert client.get("/endpoints", headers=auth_headers(client, "chutoa")).status_code == 403


@pytest.mark.parametrize("change, field", [
    ({"status": "dancing"}, "status"), ({"loss_pct": 140}, "loss_pct"), ({"camera": "x" * 50}, "camera"),
    ({"cpu_pct": "lots"}, "cpu_pct"), ({"notes": "x" * 5000}, "extra figures")])
def test_bad_health_report_is_refused_with_the_field(client, change: dict, field: str) -> None:  # type: ignore[no-untyped-def]
    response = client.post("/api/endpoints/dc-vinh/health", json=REPORT | change,
                           headers=auth_headers(client, "dc-vinh"))
    assert response.status_code == 422
    assert field in response.json()["message"]


def test_registry_page_lists_all_26_in_vietnamese(client, login) -> None:  # type: ignore[no-untyped-def]
    client.post("/api/endpoints/dc-vinh/health", json=REPORT | {"camera": "lost"},
                headers=auth_headers(client, "dc-vinh"))
    login(client, "vanhanh")
    page = client.get("/endpoints")
    assert page.status_code == 200
    text = page.text
    assert "Điểm cầu trực tuyến" in text and "1/26 điểm cầu đang trực tuyến" in text
    assert text.count('data-endpoint="dc-') == 26
    assert "Điểm cầu huyện Kỳ Sơn" in text and "Mất kết nối" not in text  # never seen ≠ lost
    assert "MẤT" in text  # dc-vinh's camera is lost
    english = client.get("/endpoints?lang=en").text
    assert "1 of 26 endpoints online" in english


def test_offline_endpoint_due_in_live_meeting_raises_and_clears_an_alert(no_background_check, client) -> None:  # type: ignore[no-untyped-def]
    meeting_id = schedule_and_start(client, ["dc-vinh", "dc-cualo"])
    client.post("/api/endpoints/dc-vinh/health", json=REPORT, headers=auth_headers(client, "dc-vinh"))
    factory = session_factory(client.app.state.engine, write=True)
    events = check_alerts(factory)
    assert [(topic, e["endpoint"], e["meeting"]) for topic, e in events] == [
        ("endpoints.offline", "dc-cualo", meeting_id)]
    assert check_alerts(factory) == []  # raised once, not on every check
    cualo = row(client, "dc-cualo")
    assert cualo["alert"]["meeting_id"] == meeting_id and cualo["due_meeting_id"] == meeting_id

    # dc-vinh stops reporting: after the offline threshold it is alerted too.
    later = datetime.now(UTC) + timedelta(seconds=30)
    assert [e["endpoint"] for _, e in check_alerts(factory, now=later)] == ["dc-vinh"]

    # dc-cualo comes back (and dc-vinh, still reporting in real time, was never really gone): both clear.
    client.post("/api/endpoints/dc-cualo/health", json=REPORT, headers=auth_headers(client, "dc-cualo"))
    cleared = check_alerts(factory)
    assert sorted((topic, e["endpoint"]) for topic, e in cleared) == [
        ("endpoints.recovered", "dc-cualo"), ("endpoints.recovered", "dc-vinh")]
    assert all(e["offline_s"] >= 0 for _, e in cleared)
    headers = auth_headers(client, "vanhanh")
    history = client.get("/api/endpoints/alerts", headers=headers).json()
    assert sorted((a["endpoint"], a["cleared_at"] is not None) for a in history) == [
        ("dc-cualo", True), ("dc-vinh", True)]

    # The meeting ends while both are missing: nobody is due any more, their alerts clear.
    # (The registry lists units in the province's order: TP Vinh before TX Cửa Lò.)
    assert [e["endpoint"] for _, e in check_alerts(factory, now=later)] == ["dc-vinh", "dc-cualo"]
    client.post(f"/api/meetings/{meeting_id}/end", headers=auth_headers(client, "thuky"))
    assert [t for t, _ in check_alerts(factory, now=later)] == ["endpoints.recovered"] * 2
    assert client.get("/api/endpoints", headers=headers).json()["alerts"] == []


async def test_watch_publishes_offline_alert_on_the_bus(no_background_check, client) -> None:  # type: ignore[no-untyped-def]
    schedule_and_start(client, ["dc-tttt"])
    bus = InProcessBus()
    set_bus(bus)
    try:
        events = bus.subscribe("endpoints.")
        first = asyncio.ensure_future(events.__anext__())
        await asyncio.sleep(0)
        task = asyncio.ensure_future(watch(session_factory(client.app.state.engine, write=True), interval=0.1))
        topic, event = await asyncio.wait_for(first, 10)
        task.cancel()
        assert topic == "endpoints.offline"
        assert event["endpoint"] == "dc-tttt" and event["unit_name"] == "Sở TT&TT"
    finally:
        set_bus(None)


def test_a_unit_in_the_browser_room_is_a_connected_endpoint(no_background_check, client, login) -> None:  # type: ignore[no-untyped-def]
    """An endpoint is the unit's meeting point, whatever client it joins with: the room page sends no
    health reports, yet the unit is connected while it is in, and last seen when it left."""
    from tests.conference.helpers import join, socket

    meeting_id = schedule_and_start(client, ["dc-vinh", "dc-cualo"])
    with socket(client, meeting_id, "dc-vinh") as vinh:
        join(vinh, meeting_id, "district")
        inside = row(client, "dc-vinh")
        assert (inside["online"], inside["status"], inside["client"], inside["meeting_id"]) == (
            True, "in_meeting", "browser", meeting_id)
        assert inside["last_seen"] is not None
        login(client, "vanhanh")
        page = client.get("/endpoints").text
        assert "1/26 điểm cầu đang trực tuyến" in page and "vào từ phòng họp trên trình duyệt" in page
    after = row(client, "dc-vinh")
    assert after["online"] is False and after["last_seen"] is not None
    page = client.get("/endpoints").text
    vinh_row = page[page.index('data-endpoint="dc-vinh"'):page.index('data-endpoint="dc-', page.index(
        'data-endpoint="dc-vinh"') + 10)]
    assert "Mất kết nối" in vinh_row and "Chưa từng kết nối" not in vinh_row
    assert "Chưa từng kết nối" in page  # dc-cualo never came
