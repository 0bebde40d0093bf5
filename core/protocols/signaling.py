"""The meeting signaling protocol, version 2: every message on `/ws/meetings/{id}` is one JSON object
`{"v": 2, "type": ..., ...}`. Browsers, the endpoint agent and third-party clients speak exactly this.

Versions: the server speaks every version in `SUPPORTED_VERSIONS`. A socket speaks the version of
its `join` (before it, of each message): a version 1 client keeps working as before - it gets its
messages with `"v": 1`, never a message type added later (`since`), and a type it may not use yet is
refused with `unsupported_version` naming the version that has it. A version not supported at all
is refused the same way, naming the supported ones.

Client messages may carry `ref` (any string up to 64 characters), echoed on the reply (`welcome`,
`answer`, `ack` or `error`), and `meeting`, which must then name the socket's meeting. Unknown
fields are refused so that a typo is an error rather than a silently ignored request.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

VERSION = 2
SUPPORTED_VERSIONS = (1, 2)
Role = Literal["host", "district", "observer"]
Ref = Annotated[str, Field(max_length=64)]
ParticipantId = Annotated[str, Field(min_length=1, max_length=64)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")

    v: Literal[1, 2] = 2
    since: ClassVar[int] = 1  # the protocol version that brought this message type


class _ClientMessage(_Message):
    ref: Ref | None = None
    meeting: int | None = Field(default=None, description="if present, must be this socket's meeting id")


# -- client → server -------------------------------------------------------------------------------


class Join(_ClientMessage):
    """Enter the meeting. host: its chair or secretary; district: an invited endpoint account;
    observer: operations staff (operator, admin) or a host watching without a seat."""

    type: Literal["join"] = "join"
    role: Role


class Offer(_ClientMessage):
    """The client's SDP offer: first `sendonly` m-lines for what it publishes (audio, then video
    "high", then video "low"), then one `recvonly` m-line per slot it receives (counts in `welcome`).
    With `trickle: true` the server waits for `ice` messages until the null candidate (or 3 s).
    A new offer while connected renegotiates: the media session is replaced."""

    type: Literal["offer"] = "offer"
    sdp: str = Field(min_length=1, max_length=200_000)
    trickle: bool = False


class Ice(_ClientMessage):
    """A trickled ICE candidate (the `candidate` attribute line); null means end of candidates."""

    type: Literal["ice"] = "ice"
    candidate: str | None = Field(default=None, max_length=1000)
    sdp_mid: str | None = Field(default=None, max_length=32)
    sdp_mline_index: int | None = Field(default=None, ge=0, le=200)


class Leave(_ClientMessage):
    type: Literal["leave"] = "leave"


class RaiseHand(_ClientMessage):
    type: Literal["raise_hand"] = "raise_hand"
    raised: bool = True


class Ping(_ClientMessage):
    type: Literal["ping"] = "ping"


class Mute(_ClientMessage):
    """Host control: stop (or resume) forwarding a participant's audio to everyone."""

    type: Literal["mute"] = "mute"
    participant: ParticipantId
    muted: bool = True


class Spotlight(_ClientMessage):
    """Host control: show this participant as the speaker to everyone; null returns to voice switching."""

    type: Literal["spotlight"] = "spotlight"
    participant: ParticipantId | None


class GrantFloor(_ClientMessage):
    """Host control: give the floor to a participant (usually a raised hand): spotlight, unmute, lower hand."""

    type: Literal["grant_floor"] = "grant_floor"
    participant: ParticipantId


class Remove(_ClientMessage):
    """Host control: disconnect a participant from the meeting."""

    type: Literal["remove"] = "remove"
    participant: ParticipantId


class EndMeeting(_ClientMessage):
    """Host control: end the meeting for everyone."""

    type: Literal["end_meeting"] = "end_meeting"


class View(_ClientMessage):
    """(v2) Host or observer: the participants whose tiles this console shows now (one page, in tile
    order; empty when no tile is visible, e.g. the list view). Only their low tracks are forwarded to
    this socket, on the tile slots in this order; publishers nobody watches are told to pause (`publish_hint`).
    Until a console sends one it gets the first districts in the meeting's order."""

    since: ClassVar[int] = 2
    type: Literal["view"] = "view"
    participants: list[ParticipantId] = Field(max_length=100)


class SelfMedia(_ClientMessage):
    """(v2) A participant that publishes: its own microphone and camera are on or off (it stops
    sending them itself); everyone is told (`self_media`) and sees it in `ParticipantInfo`. Not the
    host's `mute`, which stops forwarding someone's audio whatever they send."""

    since: ClassVar[int] = 2
    type: Literal["self_media"] = "self_media"
    audio: bool = True
    video: bool = True


class Share(_ClientMessage):
    """(v2) Start (or stop) sharing a screen: a host, or the participant holding the floor (the presenter
    of an agenda item), one at a time. After `screen_share` names it, its next offer has a third sendonly
    video m-line after its other published tracks: the screen; stopping, an offer without it."""

    since: ClassVar[int] = 2
    type: Literal["share"] = "share"
    on: bool = True


ClientMessage = Annotated[Join | Offer | Ice | Leave | RaiseHand | Ping | Mute | Spotlight | GrantFloor | Remove
                          | EndMeeting | View | SelfMedia | Share, Field(discriminator="type")]
CLIENT_TYPES = frozenset({"join", "offer", "ice", "leave", "raise_hand", "ping", "mute", "spotlight",
                          "grant_floor", "remove", "end_meeting", "view", "self_media", "share"})
# The version that brought each client message type.
CLIENT_SINCE = {"view": 2, "self_media": 2, "share": 2}
HOST_CONTROLS = frozenset({"mute", "spotlight", "grant_floor", "remove", "end_meeting"})
client_adapter: TypeAdapter[Any] = TypeAdapter(ClientMessage)


# -- server → client -------------------------------------------------------------------------------


class ParticipantInfo(BaseModel):
    participant: str = Field(description="stable id of the participant: the account's username")
    name: str
    role: Role
    unit: str | None = Field(description="QCVN 102 code of the participant's unit")
    unit_name: str | None
    hand_raised: bool = False
    muted: bool = False
    media: str = Field("new", description="media connection: new, connecting, connected, failed, closed")
    mic_on: bool = Field(True, description="its own microphone is on (`self_media`; false: it muted itself)")
    camera_on: bool = Field(True, description="its own camera is on (`self_media`)")


class Slots(BaseModel):
    video: int = Field(description="recvonly video m-lines to offer")
    audio: int = Field(description="recvonly audio m-lines to offer")
    screen: int = Field(0, description="(v2) recvonly video m-lines to offer last of all, after the audio ones: "
                                       "the shared screen")


class MeetingInfo(BaseModel):
    id: int
    title: str
    place: str
    status: Literal["scheduled", "live", "ended"]
    chair: str
    secretary: str | None
    video_codec: Literal["vp8", "h264"]


class _ServerMessage(_Message):
    pass


class Welcome(_ServerMessage):
    type: Literal["welcome"] = "welcome"
    ref: Ref | None = None
    you: ParticipantInfo
    meeting: MeetingInfo
    publish: list[Literal["audio", "high", "low"]] = Field(description="tracks to offer as sendonly, in order")
    slots: Slots
    participants: list[ParticipantInfo]
    speaker: str | None = Field(description="who is speaking now, by the floor rule (see `speaker`)")
    speaker_source: SpeakerSource | None = None
    floor: str | None = Field(default=None, description="who holds the floor given by the chair, if anyone")
    spotlight: str | None
    raised_hands: list[str] = Field(description="participants with a raised hand, earliest first")
    screen: str | None = Field(None, description="(v2) who shares a screen now")


class Answer(_ServerMessage):
    """The server's SDP answer, with all its ICE candidates (the server gathers completely)."""

    type: Literal["answer"] = "answer"
    ref: Ref | None = None
    sdp: str


class IceDone(_ServerMessage):
    type: Literal["ice"] = "ice"
    candidate: None = None


class ParticipantJoined(_ServerMessage):
    type: Literal["participant_joined"] = "participant_joined"
    participant: ParticipantInfo


class ParticipantLeft(_ServerMessage):
    type: Literal["participant_left"] = "participant_left"
    participant: str
    reason: Literal["left", "disconnected", "removed", "ended"]


class LayoutSlot(BaseModel):
    mid: str
    kind: Literal["audio", "video"]
    source: str | None = Field(description="participant whose track this m-line carries now (null: idle)")
    layer: str | None = Field(description="high, low or audio")


class Layout(_ServerMessage):
    """Which participant each of your receiving m-lines carries; sent whenever it changes."""

    type: Literal["layout"] = "layout"
    slots: list[LayoutSlot]


SpeakerSource = Literal["floor", "spotlight", "voice"]


class Speaker(_ServerMessage):
    """Who is speaking changed (null: nobody). The floor rule decides: the participant given the
    floor, else the spotlit one, else the one voice activity picked; `source` says which."""

    type: Literal["speaker"] = "speaker"
    participant: str | None
    previous: str | None = None
    source: SpeakerSource | None = Field(default=None, description="floor, spotlight or voice; null with nobody")


class HandRaised(_ServerMessage):
    type: Literal["hand_raised"] = "hand_raised"
    participant: str
    raised: bool


class FloorGranted(_ServerMessage):
    type: Literal["floor_granted"] = "floor_granted"
    participant: str
    by: str


class Muted(_ServerMessage):
    type: Literal["muted"] = "muted"
    participant: str
    muted: bool
    by: str


class SpotlightChanged(_ServerMessage):
    type: Literal["spotlight"] = "spotlight"
    participant: str | None
    by: str


class Removed(_ServerMessage):
    """Sent to everyone; the removed participant's socket is then closed with code 4000."""

    type: Literal["removed"] = "removed"
    participant: str
    by: str


class LinkQuality(BaseModel):
    participant: str
    bitrate_in_kbps: float = Field(description="what the server receives from the participant")
    bitrate_out_kbps: float = Field(description="what the server sends to the participant")
    loss_in_pct: float
    loss_out_pct: float
    jitter_in_ms: float
    jitter_out_ms: float
    rtt_ms: float | None
    quality: Literal["good", "fair", "poor"]
    at: float = Field(description="Unix time of the measurement")


class LinkStats(_ServerMessage):
    type: Literal["link_stats"] = "link_stats"
    participants: list[LinkQuality]


class MediaState(_ServerMessage):
    type: Literal["media_state"] = "media_state"
    participant: str
    state: str


class Renegotiate(_ServerMessage):
    """The server asks for a new offer (e.g. the media session failed); answer with `offer`."""

    type: Literal["renegotiate"] = "renegotiate"
    reason: str


class PublishHint(_ServerMessage):
    """(v2) To a publisher: whether anyone receives this video layer of yours now. Pause sending it
    (RTCRtpSender encodings `active: false`) while `active` is false, resume when it is true."""

    since: ClassVar[int] = 2
    type: Literal["publish_hint"] = "publish_hint"
    layer: Literal["high", "low"]
    active: bool


class SelfMediaChanged(_ServerMessage):
    """(v2) A participant turned its own microphone or camera on or off."""

    since: ClassVar[int] = 2
    type: Literal["self_media"] = "self_media"
    participant: str
    audio: bool
    video: bool


class ScreenShare(_ServerMessage):
    """(v2) Who shares a screen now (null: nobody); the screen slots carry it, shown as the main view."""

    since: ClassVar[int] = 2
    type: Literal["screen_share"] = "screen_share"
    participant: str | None


class MeetingEnded(_ServerMessage):
    """The meeting is over; the server closes the socket with code 4001 after this."""

    type: Literal["meeting_ended"] = "meeting_ended"
    by: str


class Ack(_ServerMessage):
    type: Literal["ack"] = "ack"
    ref: Ref | None = None
    for_: str = Field(alias="for", description="the type of the acknowledged message")

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


ErrorCode = Literal[
    "invalid_json", "invalid_message", "unsupported_version", "unknown_type", "not_joined", "already_joined",
    "duplicate_identity", "wrong_meeting", "not_found", "role_not_allowed", "not_invited", "meeting_ended",
    "forbidden", "unknown_participant", "bad_sdp", "no_supported_codec", "too_many_tracks", "media_refused",
    "media_unavailable", "live_state_unavailable",
]


class Error(_ServerMessage):
    """A refused message. Nothing else changes: the socket stays open and the meeting goes on."""

    type: Literal["error"] = "error"
    ref: Ref | None = None
    code: ErrorCode
    message: str = Field(description="what was wrong and what to do, in Vietnamese / English")
    for_: str | None = Field(default=None, alias="for", description="the type of the refused message, if known")

    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class Pong(_ServerMessage):
    type: Literal["pong"] = "pong"
    ref: Ref | None = None


ServerMessage = Annotated[
    Welcome | Answer | IceDone | ParticipantJoined | ParticipantLeft | Layout | Speaker | HandRaised | FloorGranted
    | Muted | SpotlightChanged | Removed | LinkStats | MediaState | Renegotiate | PublishHint | SelfMediaChanged
    | ScreenShare | MeetingEnded | Ack | Error | Pong,
    Field(discriminator="type")]
server_adapter: TypeAdapter[Any] = TypeAdapter(ServerMessage)


# The version that brought each server message type newer than version 1.
SERVER_SINCE = {"publish_hint": 2, "self_media": 2, "screen_share": 2}


def encode(message: BaseModel) -> str:
    return message.model_dump_json(by_alias=True)


def for_version(text: str, version: int) -> str | None:
    """A server message encoded in the current version as a socket speaking `version` reads it; None
    when that version has no such message type. Only sockets of older versions pay for this."""
    data = json.loads(text)
    if SERVER_SINCE.get(data.get("type"), 1) > version:
        return None
    data["v"] = version
    if version < 2 and data.get("type") == "welcome":  # what v2 added to the welcome
        data.pop("screen", None)
        data.get("slots", {}).pop("screen", None)
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def json_schema() -> dict[str, Any]:
    """The published schema: both directions, for client authors."""
    return {"version": VERSION, "supported_versions": list(SUPPORTED_VERSIONS),
            "since": {"client": CLIENT_SINCE, "server": SERVER_SINCE},
            "client": client_adapter.json_schema(by_alias=True),
            "server": server_adapter.json_schema(by_alias=True)}
