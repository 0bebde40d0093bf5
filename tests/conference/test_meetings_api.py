"""Scheduling, starting and ending meetings over REST, and who may do what."""

from __future__ import annotations

from tests.conference.helpers import ENDPOINTS, schedule_meeting


def test_secretary_schedules_and_everyone_concerned_sees_it(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    meeting = schedule_meeting(client)
    assert meeting["status"] == "scheduled"
    assert meeting["chair"]["username"] == "chutoa" and meeting["secretary"]["username"] == "thuky"
    assert [a["title"] for a in meeting["agenda"]] == ["Tình hình kinh tế - xã hội tháng 11", "Ý kiến các địa phương"]
    assert sorted(e["username"] for e in meeting["invited"]) == sorted(ENDPOINTS)
    assert meeting["scheduled_at"].startswith("2026-11-25T01:00:00")  # 08:00 in Vietnam is 01:00 UTC

    listed = client.get("/api/meetings", headers=auth_headers(client, "vanhanh")).json()
    assert [m["id"] for m in listed] == [meeting["id"]]
    # An invited endpoint sees the meeting; one that is not invited does not.
    assert client.get(f"/api/meetings/{meeting['id']}", headers=auth_headers(client, "dc-vinh")).status_code == 200
    assert client.get("/api/meetings", headers=auth_headers(client, "dc-vinh")).json()[0]["id"] == meeting["id"]
    assert client.get("/api/meetings", headers=auth_headers(client, "dc-kyson")).json() == []
    assert client.get(f"/api/meetings/{meeting['id']}", headers=auth_headers(client, "dc-kyson")).status_code == 404


def test_bad_schedules_are_refused_with_the_reason(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, "thuky")
    base = {"title": "Họp", "scheduled_at": "2026-11-25T08:00", "chair": "chutoa", "invited": ["dc-vinh"]}
    cases = [
        ({**base, "chair": "vanthu"}, "chair"),
        ({**base, "secretary": "chutoa"}, "secretary"),
        ({**base, "invited": ["dc-vinh", "vanthu", "nobody"]}, "vanthu, nobody"),
        ({**base, "invited": []}, "invited"),
        ({**base, "scheduled_at": "tomorrow"}, "scheduled_at"),
        ({**base, "title": ""}, "title"),
    ]
    for body, mentioned in cases:
        response = client.post("/api/meetings", json=body, headers=headers)
        assert response.status_code == 422, (body, response.text)
        assert mentioned in response.text
    assert client.get("/api/meetings", headers=headers).json() == []


def test_roles_for_scheduling_and_running_meetings(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    meeting = schedule_meeting(client)
    mid = meeting["id"]
    body = {"title": "Họp", "scheduled_at": "2026-11-25T08:00", "chair": "chutoa", "invited": ["dc-vinh"]}
    for username in ("vanthu", "vanhanh", "dc-vinh"):
        assert client.post("/api/meetings", json=body, headers=auth_headers(client, username)).status_code == 403
        assert client.post(f"/api/meetings/{mid}/start", headers=auth_headers(client, username)).status_code == 403
    for username in ("dc-vinh",):
        assert client.get(f"/api/meetings/{mid}/attendance", headers=auth_headers(client, username)).status_code == 403
    # A chair who does not chair this meeting may not start it.
    client.post("/api/users", headers=auth_headers(client, "admin"), json={
        "username": "phochutich", "role": "chair", "full_name": "Lê Văn Phó", "password": "mat-khau-dai"})
    assert client.post(f"/api/meetings/{mid}/start", headers=auth_headers(client, "phochutich", "mat-khau-dai"),
                       ).status_code == 403


def test_start_and_end_move_the_meeting_along(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    chair = auth_headers(client, "chutoa")
    started = client.post(f"/api/meetings/{mid}/start", headers=chair).json()
    assert started["status"] == "live" and started["started_at"]
    assert client.post(f"/api/meetings/{mid}/start", headers=chair).json()["started_at"] == started["started_at"]
    ended = client.post(f"/api/meetings/{mid}/end", headers=chair).json()
    assert ended["status"] == "ended" and ended["ended_at"] >= started["started_at"]
    again = client.post(f"/api/meetings/{mid}/start", headers=chair)
    assert again.status_code == 409 and "kết thúc" in again.json()["detail"]
    timeline = client.get(f"/api/meetings/{mid}/timeline", headers=chair).json()
    assert [e["kind"] for e in timeline["events"]] == ["start", "end"]
    audit = client.get("/api/audit?action=meeting.", headers=auth_headers(client, "admin")).json()
    assert [e["action"] for e in audit] == ["meeting.end", "meeting.start", "meeting.schedule"]


def test_unknown_meeting_is_404(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, "chutoa")
    for path in ("/api/meetings/999", "/api/meetings/999/attendance", "/api/meetings/999/timeline",
                 "/api/meetings/999/stats"):
        assert client.get(path, headers=headers).status_code == 404
    assert client.post("/api/meetings/999/start", headers=headers).status_code == 404


def test_protocol_schema_is_published(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    schema = client.get("/api/meetings/protocol", headers=auth_headers(client, "dc-vinh")).json()
    assert schema["version"] == 2  # v2 since the console at 131 (v1 clients still served)
    client_types = set(schema["client"]["discriminator"]["mapping"])
    assert {"join", "offer", "ice", "leave", "raise_hand", "mute", "spotlight", "grant_floor", "remove",
            "end_meeting"} <= client_types
    assert {"welcome", "answer", "participant_joined", "participant_left", "speaker", "link_stats", "hand_raised",
            "floor_granted", "muted", "removed", "meeting_ended", "error"} <= set(
        schema["server"]["discriminator"]["mapping"])
