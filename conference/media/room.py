"""A meeting's media on one worker (what mediasoup calls a Router): the participants this worker
holds, the tracks their DownTracks can be fed from (local `UpTrack`s, and `RemoteUpTrack`s for
tracks published on other workers), and which source each local DownTrack is bound to.

The room's home worker (chosen by the room id, `placement.home_of_room`) owns the `RoomState`:
membership, dominant speaker, spotlight, mutes. Rooms on other workers report to it (`Join`,
`Publish`, `Leave`), get copies of the state (`State`) and only bind their own DownTracks; each
tells the owners of the tracks it needs (`Want`), and they feed those over the mesh.

A room knows its worker only as a `RoomHost`, and its participants know it only as their
`ParticipantListener`, so its decisions run in tests with a fake host and no sockets.
"""

from __future__ import annotations

import time
from typing import Protocol

from .downtrack import DownTrack
from .errors import MediaError, MediaErrorCode
from .mesh import MeshFeed
from .messages import (
    ConnectionEvent,
    DownTrackUse,
    Forwarding,
    Join,
    KeyframeRequest,
    LayoutEntry,
    LayoutEvent,
    Leave,
    Levels,
    LinkSample,
    Nack,
    Publish,
    PublishHintEvent,
    RoomMessage,
    SpeakerEvent,
    State,
    Want,
)
from .participant import Participant
from .speaker import FRAME_SECONDS, DominantSpeakerDetector
from .uptrack import RemoteUpTrack, UpTrack, UpTrackBase
from .views import AUDIO_DOWNTRACKS_PER_SUBSCRIBER, MemberInfo, RoomState, TrackInfo, assign_audio

# Ticks (of 100 ms) per round of periodic RTCP: each participant gets its reports once a round,
# on its own tick, so that a worker's participants are spread over the round (131 participants'
# reports at once held a media node's loop for 13-33 ms each second).
RTCP_TURNS = 10


class RoomHost(Protocol):
    """What a room needs of the worker it lives on (`worker.MediaWorker` implements it)."""

    index: int  # this worker's number

    def send(self, worker: int, message: RoomMessage) -> None:
        """To the room on that worker (this one included), in order."""

    def emit(self, event: SpeakerEvent | LayoutEvent | PublishHintEvent | ConnectionEvent) -> None:
        """To the control channel's clients (the signaling layer)."""

    def open_feed(self, room_id: str) -> MeshFeed:
        """A new feed carrying a track of this room published here to the workers that will want it."""

    def listen(self, track: RemoteUpTrack) -> None:
        """Deliver the mesh media of `track.owner`'s feed `track.number` to `track`."""

    def forget(self, track: RemoteUpTrack) -> None: ...

    def track_published(self, room: Room) -> None:
        """A participant of `room` published a track here (before its first packet): a recording
        starts on it now, so that nothing it sends is missed."""


class Room:
    def __init__(self, host: RoomHost, room_id: str, video_codec: str, home: int) -> None:
        self.host = host
        self.room_id = room_id
        self.video_codec = video_codec
        self.home = home
        self.participants: dict[str, Participant] = {}
        self.uptracks: dict[str, UpTrackBase] = {}  # by track id: this worker's UpTracks and RemoteUpTracks
        self._feeds: dict[str, MeshFeed] = {}  # of this worker's UpTracks, by track id
        self.state = RoomState(epoch=time.time())
        self.detector = DominantSpeakerDetector()
        # The levels of this worker's publishers' audio packets since the last tick, for the
        # other workers holding the room (`Levels`).
        self._levels_out: dict[str, bytearray] = {}
        self._levels_until: dict[str, float] = {}  # by remote publisher: when its last `Levels` came
        self._wanted: dict[int, set[str]] = {}  # what this worker last told each owner it wants
        self._layouts: dict[str, list[tuple]] = {}  # what each participant was last told
        # The voices the audio DownTracks were last chosen from (None: choose again): a tick
        # where they are the same needs no work per participant.
        self._voices: list[str] | None = None
        self._rtcp_turns: dict[str, int] = {}  # by participant: its tick of the RTCP round
        self._hinted: dict[str, bool] = {}  # whether each local video track was last said to be in use
        # The tiles each local host or observer shows (None: the first districts); kept here, on the
        # viewer's worker, the only one that binds its DownTracks.
        self.views: dict[str, list[str] | None] = {}

    @property
    def is_home(self) -> bool:
        return self.home == self.host.index

    @property
    def idle(self) -> bool:
        """Nothing left here: no participant, and the room's state lives on another worker."""
        return not self.participants and not self.is_home

    # -- admission and leaving ---------------------------------------------------------------------

    async def admit(self, participant: Participant, offer_sdp: str) -> str:
        """Negotiate the participant's session and make it a member; the SDP answer. Raises
        `MediaError` (ALREADY_CONNECTED, or the offer's refusal); a refusal changes nothing."""
        pid = participant.participant_id
        if pid in self.participants:
            raise MediaError(MediaErrorCode.ALREADY_CONNECTED,
                             f"participant {pid!r} is already connected to room {self.room_id!r}")
        self.participants[pid] = participant  # claimed before the await: a second offer is refused
        taken = [0] * RTCP_TURNS
        for turn in self._rtcp_turns.values():
            taken[turn] += 1
        self._rtcp_turns[pid] = taken.index(min(taken))
        try:
            answer = await participant.negotiate(offer_sdp)
        except BaseException:
            if self.participants.get(pid) is participant:
                del self.participants[pid]
                self._rtcp_turns.pop(pid, None)
            await participant.close()
            raise
        if self.participants.get(pid) is not participant:  # removed while negotiating
            raise MediaError(MediaErrorCode.NOT_CONNECTED, f"participant {pid!r} left while negotiating")
        self._announce_member(participant)
        return answer

    async def remove(self, participant_id: str) -> None:
        participant = self.participants.pop(participant_id, None)
        if participant is None:
            raise MediaError(MediaErrorCode.NOT_CONNECTED,
                             f"participant {participant_id!r} has no media session in room {self.room_id!r} "
                             f"on worker {self.host.index}")
        for track in participant.uptracks.values():
            self._drop_track(track.track_id)
            self._feeds.pop(track.track_id, None)
            self._hinted.pop(track.track_id, None)
        self._layouts.pop(participant_id, None)
        self._rtcp_turns.pop(participant_id, None)
        self.views.pop(participant_id, None)
        await participant.close()
        self._to_home(Leave(room=self.room_id, codec=self.video_codec, participant=participant_id))
        if not self.participants:
            self._announce_wants()  # nothing left here to feed: owners stop sending

    async def close(self) -> None:
        """Drop every session and forget every track (the meeting ended, or the worker stops)."""
        for pid in list(self.participants):
            await self.remove(pid)
        self.release()

    def release(self) -> None:
        """Forget the tracks of a room that has no participants left on this worker."""
        for track_id, track in list(self.uptracks.items()):
            if isinstance(track, RemoteUpTrack):
                self.host.forget(track)
            self._drop_track(track_id)

    def _drop_track(self, track_id: str) -> None:
        track = self.uptracks.pop(track_id, None)
        if track is None:
            return
        for participant in self.participants.values():
            for downtrack in (*participant.video_downtracks, *participant.audio_downtracks):
                if downtrack.source is track or downtrack.target is track:
                    downtrack.bind(None)
        track.sinks = []
        self._voices = None

    # -- what the participants report (ParticipantListener) ------------------------------------------

    def on_publish(self, participant: Participant, track: UpTrack) -> None:
        if self.participants.get(participant.participant_id) is not participant:
            return
        self.uptracks[track.track_id] = track
        track.on_level = self._on_level
        self._feeds[track.track_id] = self.host.open_feed(self.room_id)
        self._announce_track(participant, track)
        self.host.track_published(self)

    def on_subscribe(self, participant: Participant, downtrack: DownTrack) -> None:
        if self.participants.get(participant.participant_id) is participant:
            self.rebind()

    def on_connection_state(self, participant: Participant, state: str) -> None:
        self.host.emit(ConnectionEvent(room=self.room_id, participant=participant.participant_id, state=state))

    def _on_level(self, participant_id: str, level: int) -> None:
        """A local publisher's audio packet (remote ones arrive as `Levels`, not as packets)."""
        self.detector.add_level(participant_id, level)
        out = self._levels_out.get(participant_id)
        if out is None:
            out = self._levels_out[participant_id] = bytearray()
        out.append(level)

    def _share_levels(self) -> None:
        """Send the tick's levels of local publishers to the other workers holding the room."""
        out, self._levels_out = self._levels_out, {}
        if not out:
            return
        workers = {m.worker for m in self.state.members.values()} | {self.home}
        workers.discard(self.host.index)
        if workers:
            message = Levels(room=self.room_id, worker=self.host.index,
                             levels={pid: levels.hex() for pid, levels in out.items()})
            for worker in workers:
                self.host.send(worker, message)

    def on_levels(self, levels: dict[str, str]) -> None:
        """Another worker's publishers' levels of its last tick: spread back over the time they
        took (one packet per frame), so the detector's windows count them as if they had come here."""
        now = time.monotonic()
        members = self.state.members
        add = self.detector.add_level
        until = self._levels_until
        for pid, hexed in levels.items():
            if pid not in members:
                until.pop(pid, None)
                continue  # left meanwhile: the detector forgot it and must not learn it again
            values = bytes.fromhex(hexed)
            # Never before the previous batch's last packet: the detector keeps times in order.
            start = max(now - (len(values) - 1) * FRAME_SECONDS, until.get(pid, 0.0))
            for i, level in enumerate(values):
                add(pid, level, min(now, start + i * FRAME_SECONDS))
            until[pid] = now

    # -- reports to the home worker -------------------------------------------------------------------

    def _to_home(self, message: RoomMessage) -> None:
        self.host.send(self.home, message)

    def _announce_member(self, participant: Participant) -> None:
        self._to_home(Join(room=self.room_id, codec=self.video_codec, participant=participant.participant_id,
                           role=participant.role, worker=self.host.index, joined_at=participant.joined_at,
                           shows=participant.shows))

    def _announce_track(self, participant: Participant, track: UpTrack) -> None:
        info = TrackInfo(owner=self.host.index, number=self._feeds[track.track_id].number, kind=track.kind,
                         codec=track.codec, clock_rate=track.clock_rate)
        self._to_home(Publish(room=self.room_id, codec=self.video_codec, participant=participant.participant_id,
                              layer=track.layer, track=info))

    def home_restarted(self) -> None:
        """The home worker came back without the room's state: tell it again who is here and what
        they publish, so the participants on this worker stay in the meeting (without this, its
        fresh state would drop them from everyone's view until they rejoined)."""
        for participant in self.participants.values():
            self._announce_member(participant)
            for track in participant.uptracks.values():
                if track.track_id in self.uptracks:
                    self._announce_track(participant, track)

    def move_home(self, home: int) -> None:
        """The room's home is now `home` (media nodes: the node holding it left the registry). A
        new home keeps the copy of the state it had, so the floor, spotlight and mutes survive;
        every room tells the home again who is here and what they publish."""
        became_home = home == self.host.index and not self.is_home
        self.home = home
        if became_home:
            self.state.epoch = time.time()  # the other copies take this state whatever its version
            self.detector.dominant = self.state.dominant
            self.publish_state()
        self.home_restarted()

    # -- the home worker's decisions ------------------------------------------------------------------

    def apply(self, message: Join | Publish | Leave) -> None:
        """A membership change reported to the home worker."""
        state = self.state
        pid = message.participant
        if isinstance(message, Join):
            state.members[pid] = MemberInfo(message.role, message.worker, message.joined_at,
                                            shows=list(message.shows))
            if pid not in state.order:
                state.order.append(pid)
        elif isinstance(message, Publish):
            if pid not in state.members:
                return
            state.members[pid].tracks[message.layer] = message.track
        else:
            state.members.pop(pid, None)
            state.order = [p for p in state.order if p != pid]
            state.featured = [p for p in state.featured if p != pid]
            if state.spotlight == pid:
                state.spotlight = None
            if state.dominant == pid:
                state.dominant = None
            self.detector.remove(pid)
        self.publish_state()

    def forget_worker(self, worker: int) -> None:
        """A worker restarted, so the participants it held are gone."""
        for pid in [p for p, m in self.state.members.items() if m.worker == worker]:
            self.apply(Leave(room=self.room_id, codec=self.video_codec, participant=pid))

    def set_spotlight(self, participant_id: str | None) -> None:
        if participant_id is not None:
            self._require_member(participant_id)
        self.state.spotlight = participant_id
        if participant_id is not None:
            self._feature(participant_id)
        self.publish_state()

    def set_muted(self, participant_id: str, muted: bool) -> None:
        self._require_member(participant_id)
        muted_set = set(self.state.muted)
        (muted_set.add if muted else muted_set.discard)(participant_id)
        self.state.muted = sorted(muted_set)
        self.publish_state()

    def set_view(self, participant_id: str, view: list[str] | None) -> None:
        """The tiles a local host or observer shows; its DownTracks follow at once, and publishers
        whose low track nobody shows any more hear so at the next tick (`_publish_hints`)."""
        self.views[participant_id] = view
        self.rebind()

    def forwarding(self) -> list[Forwarding]:
        return [Forwarding(participant=pid, worker=self.host.index, downtracks=[
            DownTrackUse(mid=d.params.mid, kind=d.params.kind, source=d.source.participant_id if d.source else None,
                         layer=d.source.layer if d.source else None, packets=d.packets)
            for d in (*participant.video_downtracks, *participant.audio_downtracks)])
            for pid, participant in self.participants.items()]

    def _require_member(self, participant_id: str) -> None:
        if participant_id not in self.state.members:
            raise MediaError(MediaErrorCode.UNKNOWN_PARTICIPANT,
                             f"participant {participant_id!r} is not in room {self.room_id!r}")

    def _feature(self, participant_id: str) -> None:
        member = self.state.members.get(participant_id)
        if member is not None and member.role == "district":
            self.state.featured = [p for p in self.state.featured if p != participant_id][-4:] + [participant_id]

    def decide_speaker(self) -> None:
        changed = self.detector.decide()
        if changed is None or changed not in self.state.members:
            return
        previous = self.state.dominant
        self.state.dominant = changed
        self._feature(changed)
        self.publish_state()
        self.host.emit(SpeakerEvent(room=self.room_id, participant=changed, previous=previous, at=time.time()))

    def publish_state(self) -> None:
        self.state.version += 1
        for worker in {m.worker for m in self.state.members.values()} | {self.host.index}:
            self.host.send(worker, State(room=self.room_id, codec=self.video_codec, state=self.state))

    # -- every worker ----------------------------------------------------------------------------------

    def on_state(self, state: RoomState) -> None:
        if not self.is_home:
            if state.version < self.state.version and state.epoch == self.state.epoch:
                return  # an older copy overtaken by a newer one
            self.state = state
            self.detector.dominant = state.dominant
        muted = set(self.state.muted)
        for pid, participant in self.participants.items():
            for track in participant.uptracks.values():
                track.muted = track.kind == "audio" and pid in muted
        self._sync_remote_tracks()
        self.rebind()

    def _sync_remote_tracks(self) -> None:
        present = set()
        for pid, member in self.state.members.items():
            for layer, info in member.tracks.items():
                if info.owner == self.host.index:
                    continue
                track_id = f"{pid}/{layer}"
                present.add(track_id)
                known = self.uptracks.get(track_id)
                if isinstance(known, RemoteUpTrack) and (known.owner, known.number) == (info.owner, info.number):
                    continue
                if known is not None:  # published again (its worker restarted): a new feed
                    self._forget_remote(track_id)
                track = RemoteUpTrack(track_id=track_id, participant_id=pid, kind=info.kind, layer=layer,
                                      codec=info.codec, clock_rate=info.clock_rate, owner=info.owner,
                                      number=info.number, upstream=self)
                self.uptracks[track_id] = track
                self.host.listen(track)
        for track_id in [t for t, track in self.uptracks.items()
                         if isinstance(track, RemoteUpTrack) and t not in present]:
            self._forget_remote(track_id)

    def _forget_remote(self, track_id: str) -> None:
        track = self.uptracks.get(track_id)
        if isinstance(track, RemoteUpTrack):
            self.host.forget(track)
        self._drop_track(track_id)

    def rebind(self) -> None:
        """Bind every local DownTrack to the source the state says it shows."""
        for pid, participant in self.participants.items():
            downtracks = participant.video_downtracks
            screens = min(getattr(participant, "screen_slots", 0), len(downtracks))  # test peers have none
            sources = self.state.video_sources(pid, len(downtracks) - screens, self.views.get(pid))
            sources += [self.state.screen_source(pid)] * screens
            now = time.monotonic()
            for downtrack, source in zip(downtracks, sources, strict=True):
                track = self.uptracks.get(f"{source[0]}/{source[1]}") if source else None
                downtrack.bind(track, self._fallback(downtrack, track, now))
        self.select_audio(again=True)
        self._announce_wants()
        self._announce_layouts()
        # At once, not at the next tick: a publisher resuming a layer is what a switch waits for.
        for participant in self.participants.values():
            self._publish_hints(participant)

    def _fallback(self, downtrack: DownTrack, track: UpTrackBase | None, now: float) -> UpTrackBase | None:
        """The publisher's low layer, to show while `track` (a paused high layer, nobody watched
        it) resumes; None when `track` flows, is already shown, or its low layer is paused too."""
        if track is None or track.layer != "high" or downtrack.target is track or track.flowing(now):
            return None
        low = self.uptracks.get(f"{track.participant_id}/low")
        return low if low is not None and low.flowing(now) else None

    def select_audio(self, again: bool = False) -> None:
        """Each participant hears the loudest voice-active others (the floor holder always
        among them); a voice that stays chosen stays on its DownTrack. Unless `again`, nothing is
        done when the voices are those last chosen from and no DownTrack lost its source since."""
        muted = set(self.state.muted)
        ranked = [pid for pid in self.detector.loudest(AUDIO_DOWNTRACKS_PER_SUBSCRIBER + 1)
                  if pid not in muted and f"{pid}/audio" in self.uptracks]
        if ranked == self._voices and not again:
            return
        self._voices = ranked
        for pid, participant in self.participants.items():
            downtracks = participant.audio_downtracks
            if not downtracks:
                continue
            chosen = [p for p in ranked if p != pid][: len(downtracks)]
            current = [d.source.participant_id if d.source else None for d in downtracks]
            for downtrack, source in zip(downtracks, assign_audio(current, chosen), strict=True):
                downtrack.bind(self.uptracks.get(f"{source}/audio") if source else None)

    def _announce_wants(self) -> None:
        """Tell each owner worker which of its tracks this worker needs: those a local DownTrack
        (or the recorder) is bound to, and no others. Loudness and speaker detection need no
        packets: they come as `Levels`."""
        wanted: dict[int, set[str]] = {}
        if self.participants or self.is_home:
            for track_id, track in self.uptracks.items():
                if isinstance(track, RemoteUpTrack) and track.sinks:
                    wanted.setdefault(track.owner, set()).add(track_id)
        for owner in set(wanted) | set(self._wanted):
            tracks = wanted.get(owner, set())
            if tracks != self._wanted.get(owner, set()):
                self.host.send(owner, Want(room=self.room_id, worker=self.host.index, tracks=sorted(tracks)))
        self._wanted = wanted

    def on_want(self, worker: int, tracks: list[str]) -> None:
        """`worker` needs these of this worker's tracks (and no others) from now on."""
        wanted = set(tracks)
        for track_id, feed in self._feeds.items():
            track = self.uptracks.get(track_id)
            if not isinstance(track, UpTrack):
                continue
            if track_id in wanted:
                if worker not in feed.workers:
                    feed.workers.add(worker)
                    track.add_sink(feed)
                    track.request_keyframe()
            elif worker in feed.workers:
                feed.workers.discard(worker)
                if not feed.workers:
                    track.remove_sink(feed)
        for participant in self.participants.values():
            self._publish_hints(participant)

    # -- requests toward publishers on other workers (Upstream), and from other workers ---------------

    def keyframe_request(self, track: RemoteUpTrack, background: bool = False) -> None:
        self.host.send(track.owner, KeyframeRequest(room=self.room_id, track=track.track_id, background=background))

    def nack_request(self, track: RemoteUpTrack, sequence_numbers: list[int]) -> None:
        self.host.send(track.owner, Nack(room=self.room_id, track=track.track_id,
                                         sequence_numbers=sequence_numbers))

    def on_keyframe_request(self, track_id: str, background: bool = False) -> None:
        track = self.uptracks.get(track_id)
        if isinstance(track, UpTrack):
            track.request_keyframe(background)

    def on_nack(self, track_id: str, sequence_numbers: list[int]) -> None:
        track = self.uptracks.get(track_id)
        if isinstance(track, UpTrack):
            track.nack(sequence_numbers)

    # -- timers ------------------------------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """Every 100 ms: speaker decision (home), audio selection, keyframe retries and merged
        requests, what to tell the signaling layer."""
        self._share_levels()
        if self.is_home:
            self.decide_speaker()
        self.select_audio()
        self._announce_wants()
        # Every tick, not only after the room binds: a DownTrack moves from a fallback layer to
        # the one it waited for by itself, at that layer's keyframe.
        self._announce_layouts()
        for participant in self.participants.values():
            for downtrack in participant.video_downtracks:
                downtrack.maintain(now)
            self._publish_hints(participant)
        for track in self.uptracks.values():
            if isinstance(track, UpTrack):
                track.keyframes.poll()

    def _announce_layouts(self) -> None:
        """Tell the signaling layer each participant's layout that changed since it was last told."""
        for pid, participant in self.participants.items():
            layout = [(d.params.mid, d.params.kind, d.source.participant_id if d.source else None,
                       d.source.layer if d.source else None)
                      for d in (*participant.video_downtracks, *participant.audio_downtracks)]
            if layout != self._layouts.get(pid):
                self._layouts[pid] = layout
                self.host.emit(LayoutEvent(room=self.room_id, participant=pid, slots=[
                    LayoutEntry(mid=mid, kind=kind, source=source, layer=layer)
                    for mid, kind, source, layer in layout]))

    def _publish_hints(self, participant: Participant) -> None:
        """Tell the signaling layer when nobody receives a published video track, so the client
        may pause it (saving its uplink) and resume it when asked; the relay works either way."""
        for track in participant.uptracks.values():
            if track.kind != "video" or track.track_id not in self.uptracks:
                continue
            in_use = bool(track.sinks)
            if in_use != self._hinted.get(track.track_id):
                self._hinted[track.track_id] = in_use
                self.host.emit(PublishHintEvent(room=self.room_id, participant=participant.participant_id,
                                                layer=track.layer, active=in_use))

    def periodic_rtcp(self, turn: int) -> None:
        """Sender and receiver reports for the participants whose tick of the RTCP round this is
        (`turn`, 0 to RTCP_TURNS - 1): each participant's once a round."""
        turns = self._rtcp_turns
        for pid, participant in self.participants.items():
            if turns.get(pid) == turn:
                participant.periodic_rtcp()

    def link_stats(self) -> list[LinkSample]:
        return [participant.link_stats() for participant in self.participants.values()]
