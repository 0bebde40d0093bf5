"""One participant's WebRTC session on a media worker: the negotiation.

aiortc's `RTCPeerConnection` does the SDP offer/answer, ICE and DTLS. The relay then takes the
transceivers over: a publishing m-line's receiver is never started (so nothing is depacketised
or decoded) and becomes an `UpTrack`; a receiving m-line's sender is never started (so nothing
is encoded) and becomes a `DownTrack`. Packets then move through the participant's `Transport`.
The participant tells its listener (its room) of each track as the transport comes up.

m-line conventions (also in the package docstring): the client's offer lists the tracks it
publishes as `sendonly` - audio, then video "high", then video "low" (districts; the host and
observers may publish fewer) - and one `recvonly` m-line per DownTrack it wants.
A camera (role "camera", the operations center's ingest publishing a camera's H.264 main stream)
offers exactly one `sendonly` video m-line and nothing else; a camera wall (role "wall", a browser
showing camera tiles) offers only `recvonly` video m-lines, one per camera in `shows`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import is_rtx
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters, RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver

from .downtrack import DownTrack, DownTrackParameters
from .errors import MediaError, MediaErrorCode
from .messages import LinkSample
from .payloads import OPUS, codec_key
from .rtp import ExtensionIds
from .transport import Transport
from .uptrack import UpTrack

ROLES = ("host", "district", "observer", "camera", "wall")
# The wall's H.264 legs are pinned to constrained baseline level 3.1 where the offer has it: every
# browser decodes it, and it is what aiortc (the camera's publisher) announces.
WALL_H264_PROFILE = "42e01f"
# A chair's console has one tile per district plus the speaker; more m-lines than this is abuse.
MAX_VIDEO_DOWNTRACKS = 100
MAX_AUDIO_DOWNTRACKS = 8
LAYER_BITRATE = {"high": 800_000, "low": 200_000, "screen": 1_200_000, "audio": 0}
VIDEO_LAYERS = ("high", "low", "screen")


class ParticipantListener(Protocol):
    """What a participant reports to its owner (the `Room`)."""

    def on_publish(self, participant: Participant, track: UpTrack) -> None: ...

    def on_subscribe(self, participant: Participant, downtrack: DownTrack) -> None: ...

    def on_connection_state(self, participant: Participant, state: str) -> None: ...


class Participant:
    def __init__(self, participant_id: str, role: str, video_codec: str, listener: ParticipantListener,
                 *, shows: list[str] | None = None, layers: list[str] | None = None,
                 screen_slots: int = 0) -> None:
        if role not in ROLES:
            raise MediaError(MediaErrorCode.UNKNOWN_ROLE, f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        self.participant_id = participant_id
        self.role = role
        self.shows = list(shows or [])  # role "wall": the cameras its video DownTracks show
        # The published video layers, in the order of the offer's sendonly video m-lines (the signaling
        # layer says, as a third one, "screen", is there only while sharing); without it high, then low.
        self.video_layers = [layer for layer in (layers or ["high", "low"]) if layer in VIDEO_LAYERS]
        self.screen_slots = screen_slots  # the last receiving video m-lines: a shared screen
        self.video_codec = video_codec
        self._listener = listener
        self.pc: RTCPeerConnection | None = None  # made by `negotiate`
        self.uptracks: dict[str, UpTrack] = {}  # by layer
        self.video_downtracks: list[DownTrack] = []
        self.audio_downtracks: list[DownTrack] = []
        self.transport: Transport | None = None
        self.state = "new"
        self.joined_at = time.time()

    async def negotiate(self, offer_sdp: str) -> str:
        """The SDP answer to `offer_sdp`; raises `MediaError` if the offer is refused."""
        # One transport for all m-lines: aiortc's default "balanced" policy leaves some of an
        # answerer's transceivers on a transport that never connects.
        pc = self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        try:
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except Exception as exc:  # aiortc raises ValueError, OperationError, AssertionError ...
            raise MediaError(MediaErrorCode.BAD_SDP, f"SDP offer rejected: {exc or type(exc).__name__}") from exc
        video_layers = iter(self.video_layers)
        transceivers = pc.getTransceivers()
        if not transceivers:
            raise MediaError(MediaErrorCode.BAD_SDP, "SDP offer has no audio or video m-line")
        receiving = [t for t in transceivers if t._offerDirection not in ("recvonly", "sendrecv")]
        for kind, limit in (("video", MAX_VIDEO_DOWNTRACKS), ("audio", MAX_AUDIO_DOWNTRACKS)):
            if sum(1 for t in receiving if t.kind == kind) > limit:
                raise MediaError(MediaErrorCode.TOO_MANY_TRACKS,
                                 f"at most {limit} receiving {kind} m-lines per participant")
        self._check_wall_roles(transceivers, receiving)
        for transceiver in transceivers:
            self._pin_codec(transceiver)
            remote_sends = transceiver._offerDirection in ("recvonly", "sendrecv")
            if remote_sends:
                layer = "audio" if transceiver.kind == "audio" else next(video_layers, None)
                if layer is None:
                    raise MediaError(MediaErrorCode.TOO_MANY_TRACKS,
                                     f"at most {len(self.video_layers)} published video tracks "
                                     f"({', '.join(self.video_layers)}) for this participant")
                transceiver.direction = "recvonly"
                transceiver.receiver.receive = self._receive_hook(transceiver, layer)
            else:
                transceiver.direction = "sendonly"
                transceiver.sender.send = self._send_hook(transceiver)
        self.transport = Transport(self.participant_id, transceivers[0].receiver.transport)
        pc.on("connectionstatechange", self._on_connection_state)
        answer = await pc.createAnswer()
        await pc.setLocalDescription(answer)
        return pc.localDescription.sdp

    def _check_wall_roles(self, transceivers: list[RTCRtpTransceiver], receiving: list[RTCRtpTransceiver]) -> None:
        """A camera publishes one video and receives nothing; a wall receives video and publishes nothing."""
        publishing = [t for t in transceivers if t not in receiving]
        if self.role == "camera" and (receiving or len(publishing) != 1 or publishing[0].kind != "video"):
            raise MediaError(MediaErrorCode.BAD_SDP, "a camera's offer has exactly one sendonly video m-line "
                                                     "(no audio, nothing received)")
        if self.role == "wall" and (publishing or any(t.kind != "video" for t in receiving)):
            raise MediaError(MediaErrorCode.BAD_SDP, "a camera wall's offer has only recvonly video m-lines")

    def _pin_codec(self, transceiver: RTCRtpTransceiver) -> None:
        """Keep only the room's codec: a sender uses the first negotiated codec, and every
        DownTrack must carry exactly what the publishers send."""
        wanted = OPUS if transceiver.kind == "audio" else self.video_codec
        kept = [c for c in transceiver._codecs if not is_rtx(c) and codec_key_or_none(c.mimeType) == wanted]
        if not kept:
            raise MediaError(MediaErrorCode.NO_SUPPORTED_CODEC,
                             f"SDP offer has no {wanted.upper()} for its {transceiver.kind} m-line "
                             f"(mid {transceiver.mid}); this meeting relays {wanted.upper()}")
        if self.role in ("camera", "wall"):
            kept.sort(key=lambda c: str(c.parameters.get("profile-level-id", "")).lower() != WALL_H264_PROFILE)
        kept = kept[:1]
        rtx = [c for c in transceiver._codecs if is_rtx(c) and c.parameters.get("apt") == kept[0].payloadType]
        transceiver._codecs = kept + rtx[:1]

    # aiortc calls these once DTLS is up, instead of starting its receiver and sender.

    def _receive_hook(self, transceiver: RTCRtpTransceiver, layer: str) -> Callable:
        async def receive(parameters: RTCRtpReceiveParameters) -> None:
            self._start_uptrack(transceiver, layer, parameters)
        return receive

    def _send_hook(self, transceiver: RTCRtpTransceiver) -> Callable:
        async def send(parameters: RTCRtpSendParameters) -> None:
            self._start_downtrack(transceiver, parameters)
        return send

    def _start_uptrack(self, transceiver: RTCRtpTransceiver, layer: str,
                       parameters: RTCRtpReceiveParameters) -> None:
        assert self.transport is not None
        codec = parameters.codecs[0]
        ids = ExtensionIds.from_parameters(parameters.headerExtensions)
        ssrc = rtx_ssrc = None
        if parameters.encodings:
            ssrc = parameters.encodings[0].ssrc
            if parameters.encodings[0].rtx:
                rtx_ssrc = parameters.encodings[0].rtx.ssrc
        track = UpTrack(
            track_id=f"{self.participant_id}/{layer}", participant_id=self.participant_id,
            kind=transceiver.kind, layer=layer, codec=codec_key(codec.mimeType), clock_rate=codec.clockRate,
            ssrc=ssrc, rtx_ssrc=rtx_ssrc, rtcp_ssrc=transceiver.sender._ssrc,
            send_rtcp=self.transport.send_rtcp, audio_level_id=ids.audio_level,
            capture_time_id=ids.abs_capture_time, max_bitrate=LAYER_BITRATE[layer])
        self.uptracks[layer] = track
        self.transport.add_uptrack(track, parameters.muxId, ids.mid,
                                   {c.payloadType: c.parameters.get("apt") for c in parameters.codecs if is_rtx(c)})
        self._listener.on_publish(self, track)

    def _start_downtrack(self, transceiver: RTCRtpTransceiver, parameters: RTCRtpSendParameters) -> None:
        assert self.transport is not None
        codec = parameters.codecs[0]
        rtx_pt = next((c.payloadType for c in parameters.codecs if is_rtx(c)), None)
        params = DownTrackParameters(
            mid=parameters.muxId, kind=transceiver.kind, codec=codec_key(codec.mimeType),
            clock_rate=codec.clockRate, payload_type=codec.payloadType, rtx_payload_type=rtx_pt,
            ssrc=transceiver.sender._ssrc, rtx_ssrc=transceiver.sender._rtx_ssrc,
            extensions=ExtensionIds.from_parameters(parameters.headerExtensions))
        downtrack = DownTrack(params, self.transport.send_rtp)
        (self.video_downtracks if transceiver.kind == "video" else self.audio_downtracks).append(downtrack)
        self.transport.add_downtrack(downtrack)
        self._listener.on_subscribe(self, downtrack)

    # -- state ---------------------------------------------------------------------------------

    def _on_connection_state(self) -> None:
        assert self.pc is not None
        self.state = self.pc.connectionState
        self._listener.on_connection_state(self, self.state)

    def periodic_rtcp(self) -> None:
        if self.transport is not None:
            self.transport.periodic_rtcp()

    def link_stats(self) -> LinkSample:
        if self.transport is None:
            return LinkSample(participant=self.participant_id, state=self.state, bytes_in=0, bytes_out=0,
                             packets_in=0, packets_out=0, loss_in_pct=0.0, loss_out_pct=0.0, jitter_in_ms=0.0,
                             jitter_out_ms=0.0, rtt_ms=None, retransmitted=0, remb_bps=None)
        return self.transport.link_stats(self.state)

    async def close(self) -> None:
        for downtrack in (*self.video_downtracks, *self.audio_downtracks):
            downtrack.bind(None)
        if self.transport is not None:
            self.transport.close()
        if self.pc is not None:
            await self.pc.close()


def codec_key_or_none(mime_type: str) -> str | None:
    try:
        return codec_key(mime_type)
    except ValueError:
        return None
