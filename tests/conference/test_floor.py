"""The floor rule: while the chair has given the floor (or spotlit someone) everyone is told that
participant is speaking, and the speaking record agrees; voice activity decides only otherwise."""

from __future__ import annotations

import time

from conference.floor import NOBODY, Speaking, who_speaks
from conference.media.messages import SpeakerEvent
from conference.record import meeting_record
from tests.conference.helpers import join, receive_until, schedule_meeting, send, socket


def test_floor_then_spotlight_then_voice() -> None:
    assert who_speaks(floor="dc-vinh", spotlight="dc-cualo", voice="dc-thaihoa") == Speaking("dc-vinh", "floor")
    assert who_speaks(floor=None, spotlight="dc-cualo", voice="dc-thaihoa") == Speaking("dc-cualo", "spotlight")
    assert who_speaks(floor=None, spotlight=None, voice="dc-thaihoa") == Speaking("dc-thaihoa", "voice")
    assert who_speaks(floor=None, spotlight=None, voice=None) == NOBODY


def test_who_left_holds_nothing() -> None:
    present = {"dc-cualo", "dc-thaihoa"}
    assert who_speaks(floor="dc-vinh", spotlight="dc-vinh", voice="dc-thaihoa", present=present) == \
        Speaking("dc-thaihoa", "voice")
    assert who_speaks(floor="dc-vinh", spotlight=None, voice="dc-vinh", present=present) == NOBODY


def _voice(client, mid: int, pid: str) -> None:  # type: ignore[no-untyped-def]
    """What the media path reports when `pid`'s microphone is the loudest."""
    hub = client.app.state.conference_hub
    client.portal.call(hub.on_media_event, SpeakerEvent(room=f"meeting-{mid}", participant=pid, previous=None,
                                                       at=time.time()))


def test_every_participant_is_told_the_floor_holder_not_the_loudest(client, session) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as vinh, \
            socket(client, mid, "dc-cualo") as cualo:
        join(host, mid, "host")
        join(vinh, mid, "district")
        join(cualo, mid, "district")

        _voice(client, mid, "dc-cualo")
        for ws in (host, vinh, cualo):
            assert receive_until(ws, "speaker") | {"previous": None} == {
                "v": 1, "type": "speaker", "participant": "dc-cualo", "previous": None, "source": "voice"}

        send(host, type="grant_floor", participant="dc-vinh")
        for ws in (host, vinh, cualo):
            said = receive_until(ws, "speaker")
            assert (said["participant"], said["source"], said["previous"]) == ("dc-vinh", "floor", "dc-cualo")

        # Cửa Lò's microphone picks up its room: nobody is told, the floor holder stays the speaker.
        _voice(client, mid, "dc-cualo")
        send(host, type="ping", ref="p1")
        before_pong = []
        while (message := host.receive_json())["type"] != "pong":
            before_pong.append(message["type"])
        assert "speaker" not in before_pong
        with socket(client, mid, "dc-thaihoa") as thaihoa:
            welcome = join(thaihoa, mid, "district")
            assert (welcome["speaker"], welcome["speaker_source"], welcome["floor"]) == ("dc-vinh", "floor",
                                                                                         "dc-vinh")
        # The chair releases the floor (spotlight off): voice decides again.
        send(host, type="spotlight", participant=None)
        said = receive_until(cualo, "speaker")
        assert (said["participant"], said["source"]) == ("dc-cualo", "voice")

    record = meeting_record(session, mid)
    speaking = {s.participant: s for s in record.speaking}
    assert [len(speaking[p].turns) for p in ("dc-cualo", "dc-vinh")] == [2, 1]
    vinh_turn = speaking["dc-vinh"].turns[0]
    assert speaking["dc-cualo"].turns[0].ended_at == vinh_turn.started_at
    assert speaking["dc-cualo"].turns[1].started_at == vinh_turn.ended_at


def test_the_end_leaves_no_turn_open(client, session, auth_headers) -> None:  # type: ignore[no-untyped-def]
    """Ending while one district holds the floor and another was loudest: as each leaves, nobody takes
    over the speaking record after the end."""
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "chutoa") as host, socket(client, mid, "dc-vinh") as vinh, \
            socket(client, mid, "dc-cualo") as cualo:
        join(host, mid, "host")
        join(vinh, mid, "district")
        join(cualo, mid, "district")
        _voice(client, mid, "dc-cualo")
        send(host, type="grant_floor", participant="dc-vinh")
        assert receive_until(cualo, "speaker")["participant"] == "dc-cualo"
        assert receive_until(cualo, "speaker")["participant"] == "dc-vinh"
        send(host, type="end_meeting")
        assert receive_until(vinh, "meeting_ended")["type"] == "meeting_ended"
    session.rollback()
    record = meeting_record(session, mid)
    turns = [t for s in record.speaking for t in s.turns]
    assert turns and all(t.ended_at is not None and t.ended_at <= record.ended_at for t in turns)
    assert all(t.started_at <= record.ended_at for t in turns)
