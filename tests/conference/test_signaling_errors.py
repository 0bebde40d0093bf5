"""Malformed or hostile signaling gets an `error` on that socket, and nothing else changes: the
socket stays usable and other participants are not disturbed. No media workers are needed to
refuse these (SDP is checked before it reaches them)."""

from __future__ import annotations

import json

import pytest
from starlette.websockets import WebSocketDisconnect

from tests.conference.helpers import join, receive_until, schedule_meeting, send, socket

AV1_ONLY = ("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
            "m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:96 AV1/90000\r\na=mid:0\r\n"
            "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
            "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\na=sendonly\r\n")


def error_of(ws) -> dict:  # type: ignore[no-untyped-def]
    message = ws.receive_json()
    assert message["type"] == "error", message
    return message


def still_alive(ws) -> None:  # type: ignore[no-untyped-def]
    send(ws, type="ping", ref="alive")
    assert ws.receive_json() == {"v": 1, "type": "pong", "ref": "alive"}


def test_malformed_messages_get_errors_and_the_socket_survives(client) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as ws:
        ws.send_text("{not json")
        assert error_of(ws)["code"] == "invalid_json"
        ws.send_text("[1, 2]")
        assert error_of(ws)["code"] == "invalid_message"
        ws.send_text(json.dumps({"v": 3, "type": "join", "role": "host"}))
        assert error_of(ws)["code"] == "unsupported_version"
        ws.send_text(json.dumps({"v": 1, "type": "dance", "ref": "r1"}))
        refused = error_of(ws)
        assert refused["code"] == "unknown_type" and refused["ref"] == "r1" and "join" in refused["message"]
        ws.send_bytes(b"\x00\x01")
        assert error_of(ws)["code"] == "invalid_json"
        send(ws, type="join", role="king")
        assert error_of(ws)["code"] == "invalid_message"
        send(ws, type="join", role="host", extra_field=1)
        assert error_of(ws)["code"] == "invalid_message"
        send(ws, type="mute", participant="dc-vinh")
        assert error_of(ws)["code"] == "not_joined"
        send(ws, type="join", role="host", meeting=mid + 1000)
        assert error_of(ws)["code"] == "wrong_meeting"
        send(ws, type="join", role="district")
        assert error_of(ws)["code"] == "role_not_allowed"
        welcome = join(ws, mid, "host")
        assert welcome["you"]["participant"] == "chutoa" and welcome["you"]["role"] == "host"
        assert welcome["publish"] == ["audio", "high"] and welcome["slots"] == {"video": 4, "audio": 3}
        send(ws, type="join", role="host")
        assert error_of(ws)["code"] == "already_joined"
        send(ws, type="raise_hand", meeting=mid + 1, raised=True)
        assert error_of(ws)["code"] == "wrong_meeting"
        send(ws, type="offer", sdp="this is not SDP", ref="o1")
        refused = error_of(ws)
        assert refused["code"] == "bad_sdp" and refused["ref"] == "o1" and refused["for"] == "offer"
        send(ws, type="offer", sdp="v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n")
        assert error_of(ws)["code"] == "bad_sdp"
        send(ws, type="offer", sdp=AV1_ONLY)
        refused = error_of(ws)
        assert refused["code"] == "no_supported_codec" and "VP8" in refused["message"]
        send(ws, type="mute", participant="dc-nobody")
        assert error_of(ws)["code"] == "unknown_participant"
        still_alive(ws)


def test_district_cannot_use_host_controls_and_nobody_else_notices(client) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as vinh:
        join(host, mid, "host")
        welcome = join(vinh, mid, "district")
        assert welcome["publish"] == ["audio", "high", "low"] and welcome["slots"]["video"] == 2
        assert [p["participant"] for p in welcome["participants"]] == ["chutoa"]
        assert host.receive_json()["type"] == "participant_joined"
        for message in ({"type": "mute", "participant": "chutoa"}, {"type": "remove", "participant": "chutoa"},
                        {"type": "spotlight", "participant": "dc-vinh"}, {"type": "end_meeting"},
                        {"type": "grant_floor", "participant": "dc-vinh"}):
            send(vinh, **message)
            refused = error_of(vinh)
            assert refused["code"] == "forbidden" and refused["for"] == message["type"]
        # The host saw none of it: the next thing it hears is the answer to its own ping.
        still_alive(host)
        still_alive(vinh)
        status = client.get(f"/api/meetings/{mid}", headers={"Authorization": host_token(client)}).json()["status"]
        assert status == "scheduled"


def host_token(client) -> str:  # type: ignore[no-untyped-def]
    from tests.conftest import auth_headers

    return auth_headers(client, "chutoa")["Authorization"]


def test_second_join_with_the_same_identity_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as first:
        join(host, mid, "host")
        join(first, mid, "district")
        assert host.receive_json()["type"] == "participant_joined"
        with socket(client, mid, "dc-vinh") as second:
            send(second, type="join", role="district", ref="again")
            refused = error_of(second)
            assert refused["code"] == "duplicate_identity" and refused["ref"] == "again"
        # The refused socket closing does not take the first one out of the meeting.
        still_alive(host)
        send(first, type="raise_hand", raised=True, ref="h")
        assert first.receive_json()["type"] == "hand_raised"
        assert first.receive_json() == {"v": 1, "type": "ack", "ref": "h", "for": "raise_hand"}
        assert host.receive_json() == {"v": 1, "type": "hand_raised", "participant": "dc-vinh", "raised": True}


def test_uninvited_endpoints_and_unknown_meetings(client) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "dc-kyson") as ws:
        send(ws, type="join", role="district")
        assert error_of(ws)["code"] == "not_invited"
    with socket(client, mid, "vanhanh") as ws:
        send(ws, type="join", role="host")
        assert error_of(ws)["code"] == "role_not_allowed"
        assert join(ws, mid, "observer")["publish"] == []
    with socket(client, 4242, "chutoa") as ws:
        send(ws, type="join", role="host")
        assert error_of(ws)["code"] == "not_found"


def test_ended_meeting_refuses_joins_and_ending_disconnects_everyone(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    chair = auth_headers(client, "chutoa")
    client.post(f"/api/meetings/{mid}/start", headers=chair)
    with socket(client, mid, "thuky") as host, socket(client, mid, "dc-vinh") as vinh:
        join(host, mid, "host")
        join(vinh, mid, "district")
        send(host, type="end_meeting", ref="bye")
        messages = []
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                messages.append(vinh.receive_json())
        assert closed.value.code == 4001
        assert {"v": 1, "type": "meeting_ended", "by": "thuky"} in messages
    assert client.get(f"/api/meetings/{mid}", headers=chair).json()["status"] == "ended"
    with socket(client, mid, "dc-vinh") as ws:
        send(ws, type="join", role="district")
        assert error_of(ws)["code"] == "meeting_ended"


def test_version_1_clients_keep_working_and_version_2_adds_the_console_view(client) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as old, socket(client, mid, "thuky") as new, \
            socket(client, mid, "dc-vinh") as district:
        join(old, mid, "host")  # a v1 client: every message it gets says v=1
        old.send_text(json.dumps({"v": 1, "type": "view", "participants": ["dc-vinh"], "ref": "v"}))
        refused = error_of(old)
        assert refused["code"] == "unsupported_version" and "v=2" in refused["message"] and refused["v"] == 1
        new.send_text(json.dumps({"v": 2, "type": "join", "role": "host", "ref": "j"}))
        welcome = new.receive_json()
        assert welcome["type"] == "welcome" and welcome["v"] == 2 and welcome["slots"]["video"] == 1 + 3
        assert receive_until(old, "participant_joined")["v"] == 1
        # A v2 socket stays v2: a v1 message on it is refused.
        new.send_text(json.dumps({"v": 1, "type": "ping", "ref": "p"}))
        assert error_of(new)["code"] == "unsupported_version"
        new.send_text(json.dumps({"v": 2, "type": "view", "participants": ["dc-vinh", "dc-cualo"], "ref": "v"}))
        assert new.receive_json() == {"v": 2, "type": "ack", "ref": "v", "for": "view"}
        too_many = ["dc-vinh", "dc-cualo", "dc-thaihoa", "dc-kyson"]
        new.send_text(json.dumps({"v": 2, "type": "view", "participants": too_many, "ref": "w"}))
        refused = error_of(new)
        assert refused["code"] == "invalid_message" and "3" in refused["message"]
        district.send_text(json.dumps({"v": 2, "type": "join", "role": "district", "ref": "j"}))
        assert district.receive_json()["type"] == "welcome"
        district.send_text(json.dumps({"v": 2, "type": "view", "participants": [], "ref": "v"}))
        assert error_of(district)["code"] == "role_not_allowed"
        send(old, type="ping", ref="alive")
        assert receive_until(old, "pong") == {"v": 1, "type": "pong", "ref": "alive"}


def test_own_microphone_and_camera_are_told_to_everyone_in_v2(client) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as vinh, \
            socket(client, mid, "vanhanh") as ops:
        host.send_text(json.dumps({"v": 2, "type": "join", "role": "host", "ref": "j"}))
        assert host.receive_json()["type"] == "welcome"
        join(vinh, mid, "district")  # a v1 district: it may not use self_media and never hears of it
        vinh.send_text(json.dumps({"v": 1, "type": "self_media", "audio": False, "ref": "s"}))
        assert error_of(vinh)["code"] == "unsupported_version"
        host.send_text(json.dumps({"v": 2, "type": "self_media", "audio": False, "video": True, "ref": "s"}))
        assert receive_until(host, "self_media") == {"v": 2, "type": "self_media", "participant": "chutoa",
                                                     "audio": False, "video": True}
        assert receive_until(host, "ack")["for"] == "self_media"
        # Someone joining later sees it in the welcome.
        ops.send_text(json.dumps({"v": 2, "type": "join", "role": "observer", "ref": "j"}))
        welcome = ops.receive_json()
        chair = next(p for p in welcome["participants"] if p["participant"] == "chutoa")
        assert chair["mic_on"] is False and chair["camera_on"] is True
        ops.send_text(json.dumps({"v": 2, "type": "self_media", "audio": False, "ref": "o"}))
        assert error_of(ops)["code"] == "role_not_allowed"
        send(vinh, type="ping", ref="alive")
        seen = [vinh.receive_json()]
        while seen[-1]["type"] != "pong":
            seen.append(vinh.receive_json())
        assert all(m["type"] != "self_media" and m["v"] == 1 for m in seen)
