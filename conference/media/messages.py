"""Every message that crosses a process boundary in the media path, typed (Pydantic models, JSON
on the wire). Packets do not come here: the mesh carries them in a fixed binary frame
(`mesh.pack_media`).

The control channel (web process <-> each worker, JSON lines on the worker's Unix socket,
`control.py` and `client.py`):
    -> {"id": 7, "call": {"op": "add_participant", "room": ..., ...}}        a `Call`
    <- {"id": 7, "ok": true, "result": {...}}                                a `Reply`
    <- {"id": 7, "ok": false, "error": {"code": "bad_sdp", "message": ...}}  (`errors.MediaErrorCode`)
    <- {"event": "speaker", "room": ..., ...}                                an `Event`, any time

The mesh (worker <-> worker, `mesh.py`): `MeshMessage`s about rooms (membership and published
tracks reported to the room's home worker, the room state it replicates back, which tracks a
worker wants) and requests toward a publisher on another worker (keyframes, NACKs).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from .errors import MediaError, MediaErrorCode
from .views import RoomState, TrackInfo


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- control channel: calls and their results ------------------------------------------------------


class Answer(_Message):
    sdp: str
    worker: int


class LinkSample(_Message):
    """One participant's media link as its worker measures it (byte and packet counters are
    cumulative; "in" is what the worker receives from the participant). The signaling layer
    turns successive samples into the figures of its `link_stats` message."""

    participant: str
    state: str
    bytes_in: int
    bytes_out: int
    packets_in: int
    packets_out: int
    loss_in_pct: float
    loss_out_pct: float
    jitter_in_ms: float
    jitter_out_ms: float
    rtt_ms: float | None
    retransmitted: int
    remb_bps: int | None


class WorkerStats(_Message):
    worker: int
    pid: int
    cpu_seconds: float
    cpu_user_seconds: float
    cpu_system_seconds: float
    forwarded_packets: int
    retransmitted_packets: int
    received_packets: int
    mesh_sent: int
    mesh_received: int
    mesh_dropped: int
    participants: int
    loop_lag_ms_max: float
    # The distribution of the same lags since the last call (`looplag.LoopLag`).
    loop_lag_ms_p50: float = 0.0
    loop_lag_ms_p99: float = 0.0
    # How long the loop's thread has waited for a CPU since the worker started (None: the
    # system does not say): lag with this growing as fast is the host's load, not the worker's work.
    loop_wait_seconds: float | None = None
    decoded_frames: int
    encoded_frames: int
    recorded_packets: int = 0  # copied to the recorder
    record_dropped: int = 0  # recording data dropped (queue or recorder full), never live data
    recorder_cpu_seconds: float = 0.0  # the recorder process's
    # Media nodes: packets received over the trunk that a DownTrack here needed (the rest: a layer
    # in flight when its last subscriber here dropped it).
    relay_used: int = 0
    # Media nodes: how long ago the publisher captured the packets this node sealed onto the trunk,
    # and those it received from it (a sample), since the last call: p50, p90, p99, max in ms.
    relay_age_sent_ms: list[float] = []
    relay_age_received_ms: list[float] = []


class _Call(_Message):
    result: ClassVar[Any] = None  # the type of the reply's result


class AddParticipant(_Call):
    op: Literal["add_participant"] = "add_participant"
    result: ClassVar[Any] = Answer
    room: str
    participant: str
    role: str
    sdp: str
    video_codec: str = "vp8"
    shows: list[str] = []  # role "wall": the cameras (participant ids) its video m-lines show, in order
    view: list[str] | None = None  # a host's or observer's visible tiles (see `SetView`)
    layers: list[str] | None = None  # its published video layers in offer order (None: high, low)
    screen_slots: int = 0  # its last receiving video m-lines show a shared screen


class RemoveParticipant(_Call):
    op: Literal["remove_participant"] = "remove_participant"
    room: str
    participant: str


class SetSpotlight(_Call):
    op: Literal["set_spotlight"] = "set_spotlight"
    room: str
    participant: str | None


class Mute(_Call):
    op: Literal["mute"] = "mute"
    room: str
    participant: str
    muted: bool = True


class SetView(_Call):
    """A host's or observer's visible tiles: its tile DownTracks carry these participants' low
    tracks, in this order (None: the first districts in join order). Sent to the participant's worker."""

    op: Literal["set_view"] = "set_view"
    room: str
    participant: str
    view: list[str] | None


class DownTrackUse(_Message):
    """What one of a subscriber's DownTracks carries now, and how many packets it has sent."""

    mid: str
    kind: str
    source: str | None
    layer: str | None
    packets: int


class Forwarding(_Message):
    """What the SFU forwards to one subscriber now."""

    participant: str
    worker: int
    downtracks: list[DownTrackUse]


class GetForwarding(_Call):
    op: Literal["forwarding"] = "forwarding"
    result: ClassVar[Any] = list[Forwarding]
    room: str


class GetRoomState(_Call):
    op: Literal["room_state"] = "room_state"
    result: ClassVar[Any] = RoomState
    room: str


class GetLinkStats(_Call):
    op: Literal["link_stats"] = "link_stats"
    result: ClassVar[Any] = list[LinkSample]
    room: str


class Record(_Call):
    """Record the room's tracks held by this worker (and, on its home, the program) into
    `directory`; None stops. Recording stops by itself below `min_free_bytes` of free disk."""

    op: Literal["record"] = "record"
    room: str
    directory: str | None
    min_free_bytes: int = 0


class CloseRoom(_Call):
    op: Literal["close_room"] = "close_room"
    room: str


class GetWorkerStats(_Call):
    op: Literal["worker_stats"] = "worker_stats"
    result: ClassVar[Any] = WorkerStats


Call = Annotated[AddParticipant | RemoveParticipant | SetSpotlight | Mute | SetView | GetForwarding | GetRoomState
                 | GetLinkStats | CloseRoom | GetWorkerStats | Record, Field(discriminator="op")]


class Request(_Message):
    id: int
    call: Call


class ErrorInfo(_Message):
    code: MediaErrorCode
    message: str


class Reply(_Message):
    id: int | None
    ok: bool
    result: Any = None
    error: ErrorInfo | None = None

    def raise_for_error(self) -> None:
        if not self.ok:
            error = self.error or ErrorInfo(code=MediaErrorCode.INTERNAL, message="error without detail")
            raise MediaError(error.code, error.message)


# -- control channel: events ------------------------------------------------------------------------


class SpeakerEvent(_Message):
    """The room's dominant speaker changed; `at` is a Unix time."""

    event: Literal["speaker"] = "speaker"
    room: str
    participant: str
    previous: str | None
    at: float


class LayoutEntry(_Message):
    """What one receiving m-line (a `DownTrack`; the protocol's "slot") carries."""

    mid: str
    kind: str
    source: str | None
    layer: str | None


class LayoutEvent(_Message):
    event: Literal["layout"] = "layout"
    room: str
    participant: str
    slots: list[LayoutEntry]


class PublishHintEvent(_Message):
    """Whether anyone receives this published video layer."""

    event: Literal["publish_hint"] = "publish_hint"
    room: str
    participant: str
    layer: str
    active: bool


class ConnectionEvent(_Message):
    event: Literal["connection"] = "connection"
    room: str
    participant: str
    state: str


class StatsEvent(_Message):
    event: Literal["stats"] = "stats"
    room: str
    worker: int
    participants: list[LinkSample]


class WorkerLostEvent(_Message):
    """From `MediaClient` itself: a worker's control connection ended."""

    event: Literal["worker_lost"] = "worker_lost"
    worker: int
    at: float


class RecordingStoppedEvent(_Message):
    """A room's recording stopped on a worker (low disk, the recorder failed); the meeting goes on."""

    event: Literal["recording_stopped"] = "recording_stopped"
    room: str
    worker: int
    reason: str


Event = Annotated[SpeakerEvent | LayoutEvent | PublishHintEvent | ConnectionEvent | StatsEvent | WorkerLostEvent
                  | RecordingStoppedEvent,
                  Field(discriminator="event")]
event_adapter: TypeAdapter[Any] = TypeAdapter(Event)


# -- the mesh between workers -----------------------------------------------------------------------


class Hello(_Message):
    """That worker (re)started empty."""

    t: Literal["hello"] = "hello"
    worker: int


class Join(_Message):
    """To the home worker: a participant is now on `worker`."""

    t: Literal["join"] = "join"
    room: str
    codec: str
    participant: str
    role: str
    worker: int
    joined_at: float
    shows: list[str] = []


class Publish(_Message):
    """To the home worker: a participant's track can be fed from its owner worker."""

    t: Literal["publish"] = "publish"
    room: str
    codec: str
    participant: str
    layer: str
    track: TrackInfo


class Leave(_Message):
    t: Literal["leave"] = "leave"
    room: str
    codec: str
    participant: str


class State(_Message):
    """From the home worker to every worker holding a member: the room as decided."""

    t: Literal["state"] = "state"
    room: str
    codec: str
    state: RoomState


class Want(_Message):
    """To an owner worker: the complete set of its tracks `worker` needs now."""

    t: Literal["want"] = "want"
    room: str
    worker: int
    tracks: list[str]


class Levels(_Message):
    """To every other worker holding the room: the audio levels (RFC 6464: 0 loudest, 127 silence)
    of the packets this worker's publishers sent since the last `Levels`, oldest first, so each
    worker ranks every voice and the home detects the speaker without the audio packets crossing
    (a voice crosses only to a worker that forwards it). Two hex digits per packet: a tick's batch
    for a hundred publishers stays a few kilobytes."""

    t: Literal["levels"] = "levels"
    room: str
    worker: int
    levels: dict[str, str]  # participant -> its packets' levels, two hex digits each


class KeyframeRequest(_Message):
    """To an owner worker: a subscriber elsewhere needs a keyframe of this track."""

    t: Literal["keyframe"] = "keyframe"
    room: str
    track: str
    background: bool = False  # for a recorder (`keyframes.py`)


class Nack(_Message):
    """To an owner worker: packets (in the publisher's numbering) a subscriber elsewhere lost."""

    t: Literal["nack"] = "nack"
    room: str
    track: str
    sequence_numbers: list[int]


MeshMessage = Annotated[Hello | Join | Publish | Leave | State | Want | Levels | KeyframeRequest | Nack,
                        Field(discriminator="t")]
RoomMessage = Join | Publish | Leave | State | Want | Levels | KeyframeRequest | Nack
_mesh_adapter: TypeAdapter[Any] = TypeAdapter(MeshMessage)
_request_adapter = TypeAdapter(Request)
_reply_adapter = TypeAdapter(Reply)


def encode_mesh(message: BaseModel) -> bytes:
    return message.model_dump_json().encode()


def decode_mesh(data: bytes) -> Any:
    return _mesh_adapter.validate_json(data)


def encode_line(message: BaseModel) -> bytes:
    """One line of the control channel."""
    return message.model_dump_json().encode() + b"\n"


def decode_request(line: bytes) -> Request:
    return _request_adapter.validate_json(line)


def decode_reply_or_event(line: bytes) -> Reply | Any:
    """A line the worker sent: an `Event` (it has "event") or a `Reply`."""
    data = json.loads(line)
    if isinstance(data, dict) and "event" in data:
        return event_adapter.validate_python(data)
    return _reply_adapter.validate_python(data)
