"""Errors the media path reports to its caller, as codes: the worker raises a `MediaError`, the
control channel carries its code and message to `MediaClient`, which raises it again, and the
signaling layer decides on the code alone (`conference/signaling.py` maps each code to the
client's error frame). The message is for people: nothing decides on its text."""

from __future__ import annotations

from enum import StrEnum


class MediaErrorCode(StrEnum):
    # Refusals of a participant's offer: the client may fix its offer and send another.
    BAD_SDP = "bad_sdp"  # the offer does not parse, or aiortc refuses it
    NO_SUPPORTED_CODEC = "no_supported_codec"  # an m-line lacks the room's video codec or Opus
    TOO_MANY_TRACKS = "too_many_tracks"  # more published or received m-lines than a participant may have
    UNKNOWN_ROLE = "unknown_role"  # not host, district, observer, camera or wall
    BAD_VIDEO_CODEC = "bad_video_codec"  # a room's codec other than vp8 or h264
    # State: the request does not fit what the workers hold.
    ALREADY_CONNECTED = "already_connected"  # the participant has a media session in this room already
    NOT_CONNECTED = "not_connected"  # the participant has no media session on its worker
    UNKNOWN_PARTICIPANT = "unknown_participant"  # not a member of the room (spotlight, mute)
    NO_ROOM = "no_room"  # the room has no media on the worker asked (or it is not the room's home)
    # The channel itself.
    MALFORMED_REQUEST = "malformed_request"  # a control request the worker cannot read
    INTERNAL = "internal"  # the worker failed; its log has the traceback
    WORKER_UNAVAILABLE = "worker_unavailable"  # a worker is not running, went away or did not answer
    CLIENT_CLOSED = "client_closed"  # this MediaClient was closed or never connected: connect a new one


class MediaError(Exception):
    """A request the media path refuses or could not carry out; `code` says which."""

    def __init__(self, code: MediaErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"MediaError({self.code.value}, {self.message!r})"
