"""Who receives what in the provincial meeting."""

from __future__ import annotations

from conference.media.messages import State, decode_mesh, encode_mesh
from conference.media.views import MemberInfo, RoomState, TrackInfo, assign_audio


def _tracks(*layers: str) -> dict[str, TrackInfo]:
    return {layer: TrackInfo(owner=0, number=n, kind="audio" if layer == "audio" else "video",
                             codec="opus" if layer == "audio" else "vp8",
                             clock_rate=48000 if layer == "audio" else 90000) for n, layer in enumerate(layers)}


def _room() -> RoomState:
    state = RoomState()
    state.members["chair"] = MemberInfo("host", 0, 0.0, _tracks("audio", "high"))
    state.members["ops"] = MemberInfo("observer", 1, 0.0, {})
    for i in range(1, 4):
        state.members[f"dc-{i}"] = MemberInfo("district", i % 2, 0.0, _tracks("audio", "high", "low"))
    state.order = ["chair", "ops", "dc-1", "dc-2", "dc-3"]
    return state


def test_district_sees_host_and_current_speaker_but_never_itself() -> None:
    state = _room()
    assert state.video_sources("dc-1", 2) == [("chair", "high"), None]
    state.featured = ["dc-2"]
    assert state.video_sources("dc-1", 2) == [("chair", "high"), ("dc-2", "high")]
    state.featured = ["dc-2", "dc-1"]
    # dc-1 speaks: everyone else sees it, dc-1 keeps seeing the previous speaker.
    assert state.video_sources("dc-3", 2) == [("chair", "high"), ("dc-1", "high")]
    assert state.video_sources("dc-1", 2) == [("chair", "high"), ("dc-2", "high")]


def test_host_and_observer_see_speaker_high_and_every_district_low() -> None:
    state = _room()
    state.featured = ["dc-3"]
    expected = [("dc-3", "high"), ("dc-1", "low"), ("dc-2", "low"), ("dc-3", "low")]
    assert state.video_sources("chair", 4) == expected
    assert state.video_sources("ops", 5) == expected + [None]


def test_a_console_page_gets_only_its_tiles_low_tracks_in_its_order() -> None:
    state = _room()
    state.featured = ["dc-3"]
    # The console shows a page with dc-3, an absent unit and dc-1: dc-2's low track is not among its sources.
    assert state.video_sources("chair", 4, ["dc-3", "xa-vang", "dc-1"]) == [
        ("dc-3", "high"), ("dc-3", "low"), None, ("dc-1", "low")]
    # The list view shows no tile: only the speaker remains.
    assert state.video_sources("chair", 4, []) == [("dc-3", "high"), None, None, None]


def test_spotlight_overrides_the_voice_activated_speaker() -> None:
    state = _room()
    state.featured = ["dc-3"]
    state.spotlight = "dc-2"
    assert state.video_sources("chair", 1) == [("dc-2", "high")]
    assert state.video_sources("dc-1", 2)[1] == ("dc-2", "high")
    assert state.video_sources("dc-2", 2)[1] == ("dc-3", "high")


def test_audio_downtracks_keep_their_source_when_the_ranking_changes() -> None:
    assert assign_audio([None, None, None], ["a", "b"]) == ["a", "b", None]
    assert assign_audio(["a", "b", None], ["c", "b", "a"]) == ["a", "b", "c"]
    assert assign_audio(["a", "b", "c"], ["d", "c"]) == ["d", None, "c"]


def test_state_round_trips_for_replication() -> None:
    state = _room()
    state.featured, state.muted, state.version = ["dc-1"], ["dc-2"], 7
    message = State(room="r", codec="vp8", state=state)
    assert decode_mesh(encode_mesh(message)) == message
