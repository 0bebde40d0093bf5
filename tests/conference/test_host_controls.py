"""Host controls over the socket: everyone hears about them, they are acknowledged, and they end up
in the meeting's record. (The media side of each control is covered by the media tests.)"""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from conference.record import meeting_record
from tests.conference.helpers import join, schedule_meeting, send, socket


def next_of(ws, kind: str) -> dict:  # type: ignore[no-untyped-def]
    message = ws.receive_json()
    assert message["type"] == kind, message
    return message


def test_host_controls_reach_everyone_and_are_recorded(client, session) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as vinh, \
            socket(client, mid, "dc-cualo") as cualo:
        join(host, mid, "host")
        join(vinh, mid, "district")
        join(cualo, mid, "district")
        next_of(host, "participant_joined"), next_of(host, "participant_joined"), next_of(vinh, "participant_joined")

        send(cualo, type="raise_hand", raised=True)
        for ws in (host, vinh, cualo):
            assert next_of(ws, "hand_raised") == {"v": 1, "type": "hand_raised", "participant": "dc-cualo",
                                                  "raised": True}
        next_of(cualo, "ack")

        send(host, type="mute", participant="dc-vinh", ref="m")
        for ws in (host, vinh, cualo):
            assert next_of(ws, "muted") == {"v": 1, "type": "muted", "participant": "dc-vinh", "muted": True,
                                            "by": "chutoa"}
        assert next_of(host, "ack") == {"v": 1, "type": "ack", "ref": "m", "for": "mute"}

        send(host, type="grant_floor", participant="dc-cualo")
        assert [next_of(cualo, k)["participant"] for k in ("hand_raised", "floor_granted", "speaker")] == \
            ["dc-cualo"] * 3
        next_of(vinh, "hand_raised"), next_of(vinh, "floor_granted")
        assert next_of(vinh, "speaker") == {"v": 1, "type": "speaker", "participant": "dc-cualo", "previous": None,
                                            "source": "floor"}
        next_of(host, "hand_raised"), next_of(host, "floor_granted"), next_of(host, "speaker"), next_of(host, "ack")

        send(host, type="spotlight", participant=None)  # releases the floor: nobody speaks
        assert next_of(vinh, "spotlight") == {"v": 1, "type": "spotlight", "participant": None, "by": "chutoa"}
        assert next_of(vinh, "speaker") == {"v": 1, "type": "speaker", "participant": None, "previous": "dc-cualo",
                                            "source": None}
        next_of(cualo, "spotlight"), next_of(cualo, "speaker")
        next_of(host, "spotlight"), next_of(host, "speaker"), next_of(host, "ack")

        send(host, type="mute", participant="dc-vinh", muted=False)
        assert next_of(vinh, "muted")["muted"] is False
        next_of(cualo, "muted"), next_of(host, "muted"), next_of(host, "ack")

        # A participant joining now learns the state: nobody's hand is up, nobody is muted.
        with socket(client, mid, "dc-thaihoa") as thaihoa:
            welcome = join(thaihoa, mid, "district")
            assert welcome["raised_hands"] == [] and welcome["spotlight"] is None
            assert {p["participant"]: p["muted"] for p in welcome["participants"]} == {
                "chutoa": False, "dc-vinh": False, "dc-cualo": False}
        for ws in (host, vinh, cualo):
            next_of(ws, "participant_joined"), next_of(ws, "participant_left")

        send(host, type="remove", participant="dc-vinh")
        assert next_of(vinh, "removed") == {"v": 1, "type": "removed", "participant": "dc-vinh", "by": "chutoa"}
        with pytest.raises(WebSocketDisconnect) as closed:
            vinh.receive_json()
        assert closed.value.code == 4000
        next_of(cualo, "removed")
        assert next_of(cualo, "participant_left") == {"v": 1, "type": "participant_left", "participant": "dc-vinh",
                                                      "reason": "removed"}
        send(host, type="mute", participant="dc-vinh")
        assert next_of(host, "removed")["participant"] == "dc-vinh"
        next_of(host, "ack"), next_of(host, "participant_left")
        assert next_of(host, "error")["code"] == "unknown_participant"

    record = meeting_record(session, mid)
    assert [(a.action, a.target) for a in record.host_actions] == [
        ("mute", "dc-vinh"), ("grant_floor", "dc-cualo"), ("spotlight", ""), ("unmute", "dc-vinh"),
        ("remove", "dc-vinh")]
    assert all(a.actor == "chutoa" for a in record.host_actions)
    assert [(a.actor, a.action) for a in record.hands_raised] == [("dc-cualo", "raise_hand")]
