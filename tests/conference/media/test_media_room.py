"""A room's decisions, with fake hosts standing for two workers and no sockets: membership, who
wants which track from which worker, audio selection, and which source each DownTrack shows.

The hosts pass room messages and mesh media between the two rooms the way the workers do; the
participants are stand-ins that report tracks as aiortc would after the DTLS handshake, with
real UpTracks and DownTracks whose sent packets and RTCP land in lists.
"""

from __future__ import annotations

import asyncio
import time

import pytest
from aiortc.rtp import RTCP_PSFB_PLI, RtcpPacket, RtcpPsfbPacket

from conference.media.downtrack import DownTrack, DownTrackParameters
from conference.media.errors import MediaError, MediaErrorCode
from conference.media.mesh import MeshFeed, unpack_media
from conference.media.messages import (
    Join,
    KeyframeRequest,
    LayoutEvent,
    Leave,
    Levels,
    Nack,
    Publish,
    PublishHintEvent,
    SpeakerEvent,
    State,
    Want,
)
from conference.media.room import RTCP_TURNS, Room
from conference.media.rtp import ExtensionIds, RtpView, parse_rtp
from conference.media.speaker import DominantSpeakerDetector
from conference.media.uptrack import RemoteUpTrack, UpTrack

ROOM = "meeting-1"
HOME = 0


class Host:
    """A RoomHost: what one worker does for its room."""

    def __init__(self, cluster: Cluster, index: int) -> None:
        self.cluster = cluster
        self.index = index
        self.events: list = []
        self.remote: dict[tuple[int, int], RemoteUpTrack] = {}
        self._feeds = 0

    def send(self, worker: int, message) -> None:  # type: ignore[no-untyped-def]
        self.cluster.queue.append((worker, message))

    def emit(self, event) -> None:  # type: ignore[no-untyped-def]
        self.events.append(event)

    def open_feed(self, room_id: str) -> MeshFeed:
        self._feeds += 1
        return MeshFeed(self.index, self._feeds, self.cluster.deliver_media)

    def listen(self, track: RemoteUpTrack) -> None:
        self.remote[(track.owner, track.number)] = track

    def forget(self, track: RemoteUpTrack) -> None:
        self.remote.pop((track.owner, track.number), None)

    def track_published(self, room) -> None:  # type: ignore[no-untyped-def]
        pass


class Cluster:
    """Two workers holding one room; worker 0 is its home."""

    def __init__(self) -> None:
        self.queue: list[tuple[int, object]] = []
        self.hosts = [Host(self, 0), Host(self, 1)]
        self.rooms = [Room(host, ROOM, "vp8", HOME) for host in self.hosts]
        self.messages: list[tuple[int, object]] = []

    def deliver_media(self, worker: int, frame: bytes) -> None:
        sender, number, packet = unpack_media(frame)
        track = self.hosts[worker].remote.get((sender, number))
        if track is not None:
            track.dispatch(packet)

    def settle(self) -> None:
        """Deliver room messages until none is left, as the workers' mesh would."""
        while self.queue:
            worker, message = self.queue.pop(0)
            self.messages.append((worker, message))
            room = self.rooms[worker]
            if isinstance(message, (Join, Publish, Leave)):
                room.apply(message)
            elif isinstance(message, State):
                room.on_state(message.state)
            elif isinstance(message, Want):
                room.on_want(message.worker, message.tracks)
            elif isinstance(message, Levels):
                room.on_levels(message.levels)
            elif isinstance(message, KeyframeRequest):
                room.on_keyframe_request(message.track)
            elif isinstance(message, Nack):
                room.on_nack(message.track, message.sequence_numbers)

    def sent(self, kind: type) -> list[tuple[int, object]]:
        return [(w, m) for w, m in self.messages if isinstance(m, kind)]


class Peer:
    """A participant as the room sees it: real tracks, packets into lists."""

    def __init__(self, participant_id: str, role: str, refuse: MediaError | None = None,
                 shows: list[str] | None = None) -> None:
        self.participant_id = participant_id
        self.role = role
        self.shows = list(shows or [])
        self.joined_at = time.time()
        self.uptracks: dict[str, UpTrack] = {}
        self.video_downtracks: list[DownTrack] = []
        self.audio_downtracks: list[DownTrack] = []
        self.rtcp: list[bytes] = []  # what the relay sent to this participant about its tracks
        self.out: dict[str, list[bytes]] = {}  # by mid: what each DownTrack sent
        self.closed = False
        self._refuse = refuse
        self.negotiating = asyncio.Event()

    async def negotiate(self, offer_sdp: str) -> str:
        self.negotiating.set()
        await asyncio.sleep(0)
        if self._refuse is not None:
            raise self._refuse
        return "v=0 answer"

    async def close(self) -> None:
        self.closed = True
        for downtrack in (*self.video_downtracks, *self.audio_downtracks):
            downtrack.bind(None)

    def periodic_rtcp(self) -> None:
        pass

    def connect(self, room: Room, publish: tuple[str, ...], video: int, audio: int = 3) -> None:
        """What aiortc's transceivers report once DTLS is up."""
        for layer in publish:
            kind = "audio" if layer == "audio" else "video"
            track = UpTrack(track_id=f"{self.participant_id}/{layer}", participant_id=self.participant_id,
                            kind=kind, layer=layer, codec="opus" if kind == "audio" else "vp8",
                            clock_rate=48000 if kind == "audio" else 90000, ssrc=1000 + len(self.uptracks),
                            rtx_ssrc=None, rtcp_ssrc=1, send_rtcp=self.rtcp.append,
                            audio_level_id=1 if kind == "audio" else 0, capture_time_id=0, max_bitrate=0)
            self.uptracks[layer] = track
            room.on_publish(self, track)  # type: ignore[arg-type]
        for kind, count in (("video", video), ("audio", audio)):
            for _ in range(count):
                mid = str(len(self.out))
                self.out[mid] = []
                params = DownTrackParameters(
                    mid=mid, kind=kind, codec="opus" if kind == "audio" else "vp8",
                    clock_rate=48000 if kind == "audio" else 90000, payload_type=96, rtx_payload_type=None,
                    ssrc=5000 + int(mid), rtx_ssrc=0, extensions=ExtensionIds(mid=1))
                downtrack = DownTrack(params, self.out[mid].append)
                (self.video_downtracks if kind == "video" else self.audio_downtracks).append(downtrack)
                room.on_subscribe(self, downtrack)  # type: ignore[arg-type]

    def showing(self) -> list[str | None]:
        return [d.source.track_id if d.source else None for d in self.video_downtracks]

    def hearing(self) -> list[str | None]:
        return [d.source.participant_id if d.source else None for d in self.audio_downtracks]

    def speak(self, level: int = 20, seq: int = 1) -> None:
        self.uptracks["audio"].receive(RtpView(111, 0, seq, seq * 960, 1000, b"opus", {1: bytes([level])}))

    def send_video(self, layer: str, seq: int, keyframe: bool, body: bytes = b"picture") -> None:
        payload = bytes([0x90, 0x80, 0x80, seq & 0xFF, 0x00 if keyframe else 0x01]) + body
        self.uptracks[layer].receive(RtpView(96, 1, seq, seq * 3000, self.uptracks[layer].ssrc, payload))

    def keyframe_requests(self) -> int:
        return sum(1 for data in self.rtcp for p in RtcpPacket.parse(data)
                   if isinstance(p, RtcpPsfbPacket) and p.fmt == RTCP_PSFB_PLI)


async def _join(cluster: Cluster, worker: int, peer: Peer, publish: tuple[str, ...], video: int) -> None:
    room = cluster.rooms[worker]
    assert await room.admit(peer, "v=0 offer") == "v=0 answer"  # type: ignore[arg-type]
    peer.connect(room, publish, video)
    cluster.settle()


async def _meeting() -> tuple[Cluster, Peer, Peer, Peer]:
    """The chair on the home worker with one district; another district on worker 1."""
    cluster = Cluster()
    chair, near, far = Peer("chair", "host"), Peer("dc-1", "district"), Peer("dc-2", "district")
    await _join(cluster, 0, chair, ("audio", "high"), video=3)
    await _join(cluster, 0, near, ("audio", "high", "low"), video=2)
    await _join(cluster, 1, far, ("audio", "high", "low"), video=2)
    await asyncio.sleep(0)  # deferred keyframe requests toward other workers
    cluster.settle()
    return cluster, chair, near, far


async def test_members_are_admitted_once_and_the_home_worker_knows_them_all() -> None:
    cluster, chair, near, far = await _meeting()
    home = cluster.rooms[HOME]
    assert home.state.order == ["chair", "dc-1", "dc-2"]
    assert {pid: m.worker for pid, m in home.state.members.items()} == {"chair": 0, "dc-1": 0, "dc-2": 1}
    assert set(home.state.members["dc-2"].tracks) == {"audio", "high", "low"}
    # The copy on worker 1 is the home's state.
    assert cluster.rooms[1].state.members.keys() == home.state.members.keys()

    with pytest.raises(MediaError) as refused:
        await cluster.rooms[1].admit(Peer("dc-2", "district"), "v=0 offer")  # type: ignore[arg-type]
    assert refused.value.code is MediaErrorCode.ALREADY_CONNECTED

    # A refused offer changes nothing for anyone: no member, no message, the session closed.
    bad = Peer("dc-3", "district", refuse=MediaError(MediaErrorCode.BAD_SDP, "no"))
    with pytest.raises(MediaError):
        await cluster.rooms[1].admit(bad, "v=0 offer")  # type: ignore[arg-type]
    cluster.settle()
    assert bad.closed and "dc-3" not in cluster.rooms[1].participants and "dc-3" not in home.state.members

    # Removed while its offer was being negotiated: it does not come back as a member.
    late = Peer("dc-4", "district")
    admitting = asyncio.ensure_future(cluster.rooms[1].admit(late, "v=0 offer"))  # type: ignore[arg-type]
    await late.negotiating.wait()
    await cluster.rooms[1].remove("dc-4")
    with pytest.raises(MediaError) as refused:
        await admitting
    assert refused.value.code is MediaErrorCode.NOT_CONNECTED
    cluster.settle()
    assert "dc-4" not in home.state.members

    await cluster.rooms[1].remove("dc-2")
    cluster.settle()
    assert far.closed and list(home.state.members) == ["chair", "dc-1"]
    assert chair.showing() == [None, "dc-1/low", None]
    with pytest.raises(MediaError) as refused:
        await cluster.rooms[1].remove("dc-2")
    assert refused.value.code is MediaErrorCode.NOT_CONNECTED
    assert cluster.rooms[1].idle


async def test_each_downtrack_shows_what_the_state_says_and_follows_the_floor() -> None:
    cluster, chair, near, far = await _meeting()
    # The chair: the speaker (nobody yet), then every district's tile; districts see the chair.
    assert chair.showing() == [None, "dc-1/low", "dc-2/low"]
    assert near.showing() == ["chair/high", None]
    assert far.showing() == ["chair/high", None]
    layout = [e for e in cluster.hosts[0].events if isinstance(e, LayoutEvent) and e.participant == "chair"][-1]
    assert [(s.mid, s.source, s.layer) for s in layout.slots[:3]] == [("0", None, None), ("1", "dc-1", "low"),
                                                                      ("2", "dc-2", "low")]

    cluster.rooms[HOME].set_spotlight("dc-2")
    cluster.settle()
    assert chair.showing() == ["dc-2/high", "dc-1/low", "dc-2/low"]
    assert near.showing() == ["chair/high", "dc-2/high"]
    assert far.showing() == ["chair/high", None]  # never itself
    # The chair's speaker DownTrack on worker 0 is fed from worker 1's track, over the mesh.
    assert isinstance(chair.video_downtracks[0].source, RemoteUpTrack)

    with pytest.raises(MediaError) as refused:
        cluster.rooms[HOME].set_spotlight("nobody")
    assert refused.value.code is MediaErrorCode.UNKNOWN_PARTICIPANT


async def test_a_worker_asks_the_owner_for_exactly_the_tracks_it_needs() -> None:
    cluster, chair, near, far = await _meeting()

    def wanted(by: int) -> set[str]:
        """What worker `by` last told the other it wants."""
        return set(next(m.tracks for _, m in reversed(cluster.sent(Want)) if m.worker == by))

    # Worker 1 holds dc-2: it needs the chair's high track; nobody speaks, so no voice.
    assert wanted(1) == {"chair/high"}
    # Worker 0 shows dc-2's tile.
    assert wanted(0) == {"dc-2/low"}
    feed_high = cluster.rooms[1]._feeds["dc-2/high"]
    assert feed_high.workers == set() and feed_high not in far.uptracks["high"].sinks

    cluster.rooms[HOME].set_spotlight("dc-2")
    cluster.settle()
    assert wanted(0) == {"dc-2/low", "dc-2/high"}
    assert feed_high.workers == {0} and feed_high in far.uptracks["high"].sinks

    # A keyframe from dc-2 reaches the chair's speaker DownTrack over the mesh, renumbered.
    far.send_video("high", 500, keyframe=True)
    (packet,) = [parse_rtp(p) for p in chair.out["0"]]
    assert packet.ssrc == 5000 and packet.payload.endswith(b"picture")

    # Nobody on worker 0 shows dc-2 any more: it wants nothing from worker 1, though it is the
    # home that detects the speaker (levels come without the packets).
    await cluster.rooms[HOME].remove("chair")
    await cluster.rooms[HOME].remove("dc-1")
    cluster.settle()
    assert wanted(0) == set()
    assert feed_high.workers == set() and feed_high not in far.uptracks["high"].sinks
    assert cluster.rooms[1]._feeds["dc-2/low"].workers == set()
    # Nobody receives dc-2's high track: its client may pause it.
    cluster.rooms[1].tick(time.monotonic())
    hints = [e.active for e in cluster.hosts[1].events if isinstance(e, PublishHintEvent) and e.layer == "high"]
    assert hints[-1] is False


async def test_a_switch_to_a_paused_layer_shows_the_flowing_low_layer_until_the_high_keyframe() -> None:
    cluster, chair, near, far = await _meeting()
    # dc-1's low layer flows (the chair shows its tile); nobody watched its high layer, so its
    # publisher paused it (the room hinted so) and it sends nothing.
    for seq in range(1, 4):
        near.send_video("low", seq, keyframe=seq == 1)
    assert chair.showing() == [None, "dc-1/low", "dc-2/low"]
    requests_before = near.keyframe_requests()

    cluster.rooms[HOME].set_spotlight("dc-1")
    cluster.settle()
    # The chair's speaker slot shows dc-1 at once, from its low layer, and the publisher is told
    # at once (not at the next tick) to resume its high layer and asked for keyframes.
    speaker = chair.video_downtracks[0]
    assert chair.showing()[0] == "dc-1/low" and speaker.target is near.uptracks["high"]
    hints = [e for e in cluster.hosts[0].events if isinstance(e, PublishHintEvent) and e.participant == "dc-1"]
    assert [(h.layer, h.active) for h in hints][-1] == ("high", True)
    # A keyframe is asked of both layers (the low one's request waits out the limiter's gap
    # after the tile's own request a moment ago in this test).
    assert near.keyframe_requests() - requests_before == 1
    assert near.uptracks["high"].keyframes.sent == 1 and near.uptracks["low"].keyframes.suppressed == 1
    near.send_video("low", 4, keyframe=True, body=b"low4")
    assert [parse_rtp(p).payload[5:] for p in chair.out["0"]] == [b"low4"]

    # High packets before its keyframe change nothing; its keyframe moves the slot to it, with
    # the outgoing numbering continuing.
    near.send_video("high", 100, keyframe=False, body=b"high100")
    near.send_video("low", 5, keyframe=False, body=b"low5")
    assert chair.showing()[0] == "dc-1/low"
    near.send_video("high", 101, keyframe=True, body=b"high101")
    near.send_video("low", 6, keyframe=False, body=b"low6")
    near.send_video("high", 102, keyframe=False, body=b"high102")
    assert chair.showing()[0] == "dc-1/high" and speaker.target is near.uptracks["high"]
    sent = [parse_rtp(p) for p in chair.out["0"]]
    assert [p.payload[5:] for p in sent] == [b"low4", b"low5", b"high101", b"high102"]
    assert [(p.sequence_number - sent[0].sequence_number) & 0xFFFF for p in sent] == [0, 1, 2, 3]
    # Nothing waits on the high layer any more but the DownTrack itself.
    assert near.uptracks["high"].sinks.count(speaker) == 1
    assert all(s is speaker or not hasattr(s, "downtrack") for s in near.uptracks["high"].sinks)
    cluster.rooms[HOME].tick(time.monotonic())  # the signaling layer hears of the layer at the next tick
    layout = [e for e in cluster.hosts[0].events if isinstance(e, LayoutEvent) and e.participant == "chair"][-1]
    assert (layout.slots[0].source, layout.slots[0].layer) == ("dc-1", "high")


async def test_a_switch_waits_for_the_high_layer_when_no_layer_flows_and_a_switch_away_cancels_the_wait() -> None:
    cluster, chair, near, far = await _meeting()
    # Nothing flows from dc-1: the speaker slot goes straight to its high layer, as before.
    cluster.rooms[HOME].set_spotlight("dc-1")
    cluster.settle()
    assert chair.showing()[0] == "dc-1/high"

    # dc-2's low flows on worker 0 (the chair's tile), its high does not: the slot falls back.
    far.send_video("low", 1, keyframe=True)
    cluster.rooms[HOME].set_spotlight("dc-2")
    cluster.settle()
    speaker = chair.video_downtracks[0]
    assert chair.showing()[0] == "dc-2/low" and speaker.target.track_id == "dc-2/high"
    # The floor moves on before dc-2's high keyframe: the wait is cancelled, and the keyframe
    # that comes later does not take the slot.
    far_high = cluster.rooms[HOME].uptracks["dc-2/high"]
    cluster.rooms[HOME].set_spotlight("dc-1")
    cluster.settle()
    assert chair.showing()[0] == "dc-1/high" and speaker.target is near.uptracks["high"]
    assert all(getattr(s, "downtrack", None) is not speaker for s in far_high.sinks)
    # dc-1 still sees dc-2 as the speaker (never itself) and still waits for that keyframe.
    assert near.showing()[1] == "dc-2/low" and near.video_downtracks[1].target is far_high
    far.send_video("high", 50, keyframe=True)
    assert chair.showing()[0] == "dc-1/high"
    assert near.showing()[1] == "dc-2/high"


async def test_many_asks_for_a_keyframe_reach_the_publisher_as_one() -> None:
    cluster, chair, near, far = await _meeting()
    before = far.keyframe_requests()
    # The floor goes to dc-2: worker 0 starts wanting its high track (one request at the owner),
    # and two DownTracks there switch to it (each asks its RemoteUpTrack).
    cluster.rooms[HOME].set_spotlight("dc-2")
    cluster.settle()
    await asyncio.sleep(0)
    cluster.settle()
    assert len(cluster.sent(KeyframeRequest)) >= 1
    assert far.keyframe_requests() - before == 1


async def test_everyone_hears_the_loudest_others_but_never_themselves_or_the_muted() -> None:
    cluster, chair, near, far = await _meeting()
    for seq in range(1, 6):
        near.speak(level=10, seq=seq)
        far.speak(level=30, seq=seq)
        chair.speak(level=40, seq=seq)
    _tick(cluster)  # each worker tells the other its publishers' levels ...
    _tick(cluster)  # ... and ranks every voice at its next tick
    assert chair.hearing() == ["dc-1", "dc-2", None]
    # Which DownTrack carries which voice depends on when each was first heard here (a voice
    # keeps its DownTrack): the same voices, in some order.
    assert set(near.hearing()) == {"dc-2", "chair", None}
    assert set(far.hearing()) == {"dc-1", "chair", None}

    cluster.rooms[HOME].set_muted("dc-1", True)
    cluster.settle()
    for room in cluster.rooms:
        room.tick(time.monotonic())
    assert "dc-1" not in chair.hearing() and "dc-1" not in far.hearing()
    assert chair.hearing()[1] == "dc-2"  # the others keep their DownTracks
    assert near.uptracks["audio"].muted


def _tick(cluster: Cluster) -> None:
    for room in cluster.rooms:
        room.tick(time.monotonic())
    cluster.settle()


def _want_of(cluster: Cluster, by: int) -> set[str]:
    """What worker `by` last told the other it wants (nothing if it never said)."""
    return next((set(m.tracks) for _, m in reversed(cluster.sent(Want)) if m.worker == by), set())


async def test_a_voice_crosses_to_another_worker_only_when_someone_there_hears_it() -> None:
    """Speaker detection and loudness ranking need no audio packets from other workers: the
    levels travel as `Levels`; the packets of a voice cross only to a worker that forwards it."""
    cluster, chair, near, far = await _meeting()
    home = cluster.rooms[HOME]
    # dc-2 (worker 1) murmurs: room noise, never voice-active. Its audio does not cross, yet the
    # home knows its level.
    for seq in range(1, 11):
        far.speak(level=110, seq=seq)
    _tick(cluster)
    _tick(cluster)
    assert "dc-2/audio" not in _want_of(cluster, 0)
    assert cluster.rooms[1]._feeds["dc-2/audio"].workers == set()
    assert [m.levels for w, m in cluster.sent(Levels) if w == HOME] == [{"dc-2": "6e" * 10}]
    assert "dc-2" not in chair.hearing()

    # dc-2 speaks for three seconds (what the home's detector would hear at 20 ms a packet): the
    # home, which never receives its packets, names it the speaker; now worker 0 forwards its
    # voice and its high video, and asks worker 1 for them - once each.
    clock = [time.monotonic()]
    home.detector._clock = lambda: clock[0]
    for step in range(150):
        far.speak(level=20, seq=20 + step)
        if step % 5 == 4:  # a tick every 100 ms
            clock[0] += 0.1
            _tick(cluster)
    _tick(cluster)
    speaker = [e for e in cluster.hosts[0].events if isinstance(e, SpeakerEvent)]
    assert [e.participant for e in speaker] == ["dc-2"]
    assert home.state.dominant == "dc-2" and chair.showing()[0] == "dc-2/high"
    assert "dc-2" in chair.hearing() and "dc-2" in near.hearing()
    assert _want_of(cluster, 0) >= {"dc-2/audio", "dc-2/high"}
    assert cluster.rooms[1]._feeds["dc-2/audio"].workers == {0}
    # Worker 1's own subscriber (dc-2 itself) does not make the chair's silent voice cross.
    assert "chair/audio" not in _want_of(cluster, 1)


async def test_the_speaker_the_home_detects_takes_every_speaker_downtrack() -> None:
    cluster, chair, near, far = await _meeting()
    clock = [100.0]
    home = cluster.rooms[HOME]
    home.detector = DominantSpeakerDetector(clock=lambda: clock[0])
    for step in range(150):  # 3 s of dc-2 talking, 20 ms packets
        clock[0] = 100.0 + step * 0.02
        home.detector.add_level("dc-2", 20)
        home.detector.add_level("dc-1", 120)
    home.decide_speaker()
    cluster.settle()
    (event,) = [e for e in cluster.hosts[0].events if isinstance(e, SpeakerEvent)]
    assert (event.participant, event.previous) == ("dc-2", None)
    assert cluster.rooms[1].state.dominant == "dc-2"
    assert chair.showing()[0] == "dc-2/high" and near.showing()[1] == "dc-2/high"


async def test_a_restarted_worker_is_forgotten_and_a_restarted_home_is_told_again() -> None:
    cluster, chair, near, far = await _meeting()
    # Worker 1 restarted: its participants are gone from the room.
    cluster.rooms[HOME].forget_worker(1)
    cluster.settle()
    assert "dc-2" not in cluster.rooms[HOME].state.members
    assert chair.showing() == [None, "dc-1/low", None]

    # The home restarted empty: worker 1 tells it again who is there and what they publish.
    cluster = Cluster()
    await _join(cluster, 1, Peer("dc-2", "district"), ("audio", "high", "low"), video=2)
    cluster.rooms[HOME] = Room(cluster.hosts[HOME], ROOM, "vp8", HOME)
    cluster.rooms[1].home_restarted()
    cluster.settle()
    assert set(cluster.rooms[HOME].state.members["dc-2"].tracks) == {"audio", "high", "low"}


async def test_a_wall_shows_the_cameras_it_asked_for_and_nothing_else() -> None:
    """Cameras publish one video each (on either worker); a wall's DownTracks show the cameras it
    named, in its order, and only the cameras shown are fed to the wall's worker."""
    cluster = Cluster()
    cameras = [Peer(f"camera-{i}", "camera") for i in range(1, 4)]
    for i, camera in enumerate(cameras):
        await _join(cluster, i % 2, camera, ("high",), video=0)
    wall = Peer("wall-a", "wall", shows=["camera-3", "camera-9", "camera-1"])
    await _join(cluster, 0, wall, (), video=3)
    assert wall.showing() == ["camera-3/high", None, "camera-1/high"]  # camera-9 is not publishing
    # camera-2 lives on worker 1 and nobody shows it: worker 0 does not want it.
    wants = [m.tracks for w, m in cluster.sent(Want) if w == 1 and m.worker == 0]
    assert not any(wants)  # camera-1 and camera-3 are on worker 0 with the wall
    late = Peer("camera-9", "camera")
    await _join(cluster, 1, late, ("high",), video=0)
    assert wall.showing() == ["camera-3/high", "camera-9/high", "camera-1/high"]
    wants = [m.tracks for w, m in cluster.sent(Want) if w == 1 and m.worker == 0]
    assert wants[-1] == ["camera-9/high"]


class _Reporting(Peer):
    """A peer that counts the rounds of periodic RTCP (SR, RR, REMB) the room sends it."""

    def __init__(self, participant_id: str, role: str) -> None:
        super().__init__(participant_id, role)
        self.reports = 0

    def periodic_rtcp(self) -> None:
        self.reports += 1


async def test_each_participant_gets_its_reports_once_a_round_and_the_round_is_spread() -> None:
    """Every participant's sender and receiver reports go out once each round of RTCP_TURNS ticks
    (a second), and a worker's participants are spread over the round's ticks, not sent all at once."""
    cluster = Cluster()
    room = cluster.rooms[HOME]
    peers = [_Reporting("chair", "host")] + [_Reporting(f"dc-{i}", "district") for i in range(1, 25)]
    for peer in peers:
        await _join(cluster, HOME, peer, ("audio", "high"), video=2)

    def one_round() -> list[int]:
        per_tick = []
        for turn in range(RTCP_TURNS):
            before = sum(p.reports for p in peers)
            room.periodic_rtcp(turn)
            per_tick.append(sum(p.reports for p in peers) - before)
        return per_tick

    per_tick = one_round()
    assert [p.reports for p in peers] == [1] * 25
    assert max(per_tick) <= -(-25 // RTCP_TURNS)  # 25 participants: at most 3 on one tick
    # One leaves and another joins: still once a round for everyone here.
    await room.remove("dc-3")
    late = _Reporting("dc-30", "district")
    await _join(cluster, HOME, late, ("audio", "high"), video=2)
    peers = [p for p in peers if p.participant_id != "dc-3"] + [late]
    for peer in peers:
        peer.reports = 0
    per_tick = one_round()
    assert [p.reports for p in peers] == [1] * 25 and max(per_tick) <= 3


async def test_a_layout_is_told_when_what_a_participant_hears_changes_and_not_at_every_tick() -> None:
    cluster, chair, near, far = await _meeting()

    def chair_layouts() -> list[LayoutEvent]:
        return [e for e in cluster.hosts[HOME].events if isinstance(e, LayoutEvent) and e.participant == "chair"]

    for seq in range(1, 6):
        near.speak(level=30, seq=seq)
    _tick(cluster)
    _tick(cluster)
    assert chair.hearing() == ["dc-1", None, None]
    told = len(chair_layouts())
    assert [(s.kind, s.source) for s in chair_layouts()[-1].slots if s.kind == "audio"] == [
        ("audio", "dc-1"), ("audio", None), ("audio", None)]
    for _ in range(5):
        _tick(cluster)
    assert len(chair_layouts()) == told  # nothing changed: nothing said

    for seq in range(6, 11):
        far.speak(level=20, seq=seq)
    _tick(cluster)
    _tick(cluster)
    assert chair.hearing() == ["dc-1", "dc-2", None]
    assert [s.source for s in chair_layouts()[-1].slots if s.kind == "audio"] == ["dc-1", "dc-2", None]

    # The voice the chair hears leaves: its DownTrack goes quiet, and the chair is told.
    await cluster.rooms[HOME].remove("dc-1")
    cluster.settle()
    _tick(cluster)
    assert "dc-1" not in chair.hearing()
    assert "dc-1" not in [s.source for s in chair_layouts()[-1].slots]
