"""A meeting's media on one worker: its local participants, the streams they can be fed from
(local `UpTrack`s and `RemoteUpTrack`s from other workers), and the binding of every local slot.

The room's home worker (chosen by the room id) owns the `RoomState`: membership, dominant
speaker, spotlight, mutes. Other workers get copies and only bind their own slots.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .downtrack import DownTrack
from .participant import Participant
from .speaker import DominantSpeakerDetector
from .uptrack import RemoteUpTrack, UpTrack, UpTrackBase
from .views import MemberInfo, RoomState, assign_audio

if TYPE_CHECKING:
    from .worker import MediaWorker

AUDIO_STREAMS_PER_SUBSCRIBER = 3


class Room:
    def __init__(self, worker: MediaWorker, room_id: str, video_codec: str) -> None:
        self.worker = worker
        self.room_id = room_id
        self.video_codec = video_codec
        self.home = worker.home_of(room_id)
        self.participants: dict[str, Participant] = {}
        self.streams: dict[str, UpTrackBase] = {}
        self.state = RoomState(epoch=time.time())
        self.detector = DominantSpeakerDetector()
        self._wanted: dict[int, set[str]] = {}
        self._layouts: dict[str, list] = {}
        self.created = time.time()

    @property
    def is_home(self) -> bool:
        return self.home == self.worker.index

    # -- local participants --------------------------------------------------------------------

    def add(self, participant: Participant) -> None:
        self.participants[participant.participant_id] = participant
        self._announce_member(participant)

    def publish(self, participant: Participant, track: UpTrack) -> None:
        self.streams[track.stream_id] = track
        track.on_level = self._on_level
        track.forward_remote = self.worker.forward_media
        self.worker.register_stream(self, track)
        self._announce_stream(participant, track)

    def _announce_member(self, participant: Participant) -> None:
        self.worker.to_home(self, {"t": "join", "participant": participant.participant_id,
                                   "role": participant.role, "worker": self.worker.index,
                                   "joined_at": participant.joined_at})

    def _announce_stream(self, participant: Participant, track: UpTrack) -> None:
        self.worker.to_home(self, {"t": "stream", "participant": participant.participant_id,
                                   "layer": track.layer, "stream": self.worker.describe(track)})

    def home_restarted(self) -> None:
        """The home worker came back without the room's state: tell it again who is here and what
        they publish, so the participants on this worker stay in the meeting (without this, its
        fresh state would drop them from everyone's view until they rejoined)."""
        for participant in self.participants.values():
            self._announce_member(participant)
            for track in participant.uptracks.values():
                if track.stream_id in self.streams:
                    self._announce_stream(participant, track)

    def subscribe(self, participant: Participant, leg: DownTrack) -> None:
        self.rebind()

    async def remove(self, participant_id: str) -> None:
        participant = self.participants.pop(participant_id, None)
        if participant is None:
            return
        for track in participant.uptracks.values():
            self._drop_stream(track.stream_id)
            self.worker.unregister_stream(track)
        self._layouts.pop(participant_id, None)
        await participant.close()
        self.worker.to_home(self, {"t": "leave", "participant": participant_id})
        if not self.participants:
            self._announce_wants()  # nothing left here to feed: owners stop sending

    def release(self) -> None:
        """Forget the streams of a room that has no participants left on this worker."""
        for stream_id, track in list(self.streams.items()):
            if isinstance(track, RemoteUpTrack):
                self.worker.unregister_remote(track)
            self._drop_stream(stream_id)

    def _drop_stream(self, stream_id: str) -> None:
        track = self.streams.pop(stream_id, None)
        if track is not None:
            for leg in list(track.downtracks):
                leg.attach(None)

    # -- home worker: room decisions -----------------------------------------------------------

    def apply(self, message: dict) -> None:
        """A membership change reported to the home worker."""
        state = self.state
        t = message["t"]
        pid = message["participant"]
        if t == "join":
            state.members[pid] = MemberInfo(message["role"], message["worker"], message["joined_at"])
            if pid not in state.order:
                state.order.append(pid)
        elif t == "stream" and pid in state.members:
            state.members[pid].streams[message["layer"]] = message["stream"]
        elif t == "leave":
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
            self.apply({"t": "leave", "participant": pid})

    def set_spotlight(self, participant_id: str | None) -> None:
        self.state.spotlight = participant_id
        if participant_id is not None:
            self._feature(participant_id)
        self.publish_state()

    def set_muted(self, participant_id: str, muted: bool) -> None:
        muted_set = set(self.state.muted)
        (muted_set.add if muted else muted_set.discard)(participant_id)
        self.state.muted = sorted(muted_set)
        self.publish_state()

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
        self.worker.emit({"event": "speaker", "room": self.room_id, "participant": changed,
                          "previous": previous, "at": time.time()})

    def publish_state(self) -> None:
        self.state.version += 1
        workers = {m.worker for m in self.state.members.values()} | {self.worker.index}
        self.worker.broadcast_state(self, workers, self.state.to_dict())

    # -- every worker --------------------------------------------------------------------------

    def on_state(self, data: dict) -> None:
        stale = data["version"] < self.state.version and data.get("epoch") == self.state.epoch
        if stale and not self.is_home:
            return
        if not self.is_home:
            self.state = RoomState.from_dict(data)
            self.detector.dominant = self.state.dominant
        muted = set(self.state.muted)
        for pid, participant in self.participants.items():
            for track in participant.uptracks.values():
                track.muted = track.kind == "audio" and pid in muted
        self._sync_remote_streams()
        self.rebind()

    def _sync_remote_streams(self) -> None:
        present = set()
        for pid, member in self.state.members.items():
            for layer, desc in member.streams.items():
                stream_id = f"{pid}/{layer}"
                present.add(stream_id)
                if desc["owner"] != self.worker.index and stream_id not in self.streams:
                    proxy = RemoteUpTrack(
                        stream_id=stream_id, participant_id=pid, kind=desc["kind"], layer=layer,
                        codec=desc["codec"], clock_rate=desc["clock_rate"], owner=desc["owner"],
                        request=self._request_upstream)
                    proxy.on_level = self._on_level
                    self.streams[stream_id] = proxy
                    self.worker.register_remote(self, proxy, desc)
        for stream_id in [s for s, t in self.streams.items() if isinstance(t, RemoteUpTrack) and s not in present]:
            proxy = self.streams[stream_id]
            self.worker.unregister_remote(proxy)
            self._drop_stream(stream_id)

    def _request_upstream(self, owner: int, message: dict) -> None:
        self.worker.to_worker(owner, {**message, "room": self.room_id})

    def rebind(self) -> None:
        for pid, participant in self.participants.items():
            sources = self.state.video_sources(pid, len(participant.video_slots))
            for leg, source in zip(participant.video_slots, sources, strict=True):
                leg.attach(self.streams.get(f"{source[0]}/{source[1]}") if source else None)
        self.select_audio()
        self._announce_wants()
        self._announce_layouts()

    def select_audio(self) -> None:
        muted = set(self.state.muted)
        ranked = [pid for pid in self.detector.loudest(AUDIO_STREAMS_PER_SUBSCRIBER + 1)
                  if pid not in muted and f"{pid}/audio" in self.streams]
        for pid, participant in self.participants.items():
            if not participant.audio_slots:
                continue
            chosen = [p for p in ranked if p != pid][: len(participant.audio_slots)]
            current = [leg.source.participant_id if leg.source else None for leg in participant.audio_slots]
            for leg, source in zip(participant.audio_slots, assign_audio(current, chosen), strict=True):
                leg.attach(self.streams.get(f"{source}/audio") if source else None)

    def _on_level(self, participant_id: str, level: int) -> None:
        self.detector.add_level(participant_id, level)

    def _announce_wants(self) -> None:
        """Tell each owner worker which of its streams this worker needs: what local slots are
        bound to, and all audio (every worker ranks loudness and the home detects the speaker)."""
        wanted: dict[int, set[str]] = {}
        for stream_id, track in self.streams.items():
            if not self.participants and not self.is_home:
                break
            if isinstance(track, RemoteUpTrack) and (track.kind == "audio" or track.downtracks):
                wanted.setdefault(track.owner, set()).add(stream_id)
        owners = set(wanted) | set(self._wanted)
        for owner in owners:
            streams = wanted.get(owner, set())
            if streams != self._wanted.get(owner, set()):
                self.worker.to_worker(owner, {"t": "want", "room": self.room_id, "worker": self.worker.index,
                                              "streams": sorted(streams)})
        self._wanted = wanted

    def on_want(self, worker: int, streams: list[str]) -> None:
        wanted = set(streams)
        for stream_id, track in self.streams.items():
            if isinstance(track, UpTrack):
                if stream_id in wanted:
                    if worker not in track.remote_workers:
                        track.remote_workers.add(worker)
                        track.request_keyframe()
                else:
                    track.remote_workers.discard(worker)

    def _announce_layouts(self) -> None:
        for pid, participant in self.participants.items():
            layout = [{"mid": leg.params.mid, "kind": leg.params.kind,
                       "source": leg.source.participant_id if leg.source else None,
                       "layer": leg.source.layer if leg.source else None}
                      for leg in (*participant.video_slots, *participant.audio_slots)]
            if layout != self._layouts.get(pid):
                self._layouts[pid] = layout
                self.worker.emit({"event": "layout", "room": self.room_id, "participant": pid, "slots": layout})

    def tick(self) -> None:
        """Every 100 ms: speaker decision (home) and audio stream selection (everyone)."""
        if self.is_home:
            self.decide_speaker()
        self.select_audio()
        self._announce_wants()
        self._announce_layouts()
        now = time.monotonic()
        for participant in self.participants.values():
            for leg in participant.video_slots:
                leg.maintain(now)
            self._publish_hints(participant)
        for track in self.streams.values():
            if isinstance(track, UpTrack):
                track.keyframes.poll()

    def _publish_hints(self, participant: Participant) -> None:
        """Tell the signaling layer when nobody watches a published video track, so the client may
        pause it (saving its uplink) and resume it when asked; the relay works either way."""
        for track in participant.uptracks.values():
            if track.kind != "video":
                continue
            in_use = bool(track.downtracks or track.remote_workers)
            if in_use != track.hinted_in_use:
                track.hinted_in_use = in_use
                self.worker.emit({"event": "publish_hint", "room": self.room_id,
                                  "participant": participant.participant_id, "layer": track.layer,
                                  "active": in_use})

    def periodic_rtcp(self) -> None:
        for participant in self.participants.values():
            participant.periodic_rtcp()
