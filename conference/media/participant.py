"""One participant's WebRTC session on a media worker.

aiortc's `RTCPeerConnection` does the SDP offer/answer, ICE and DTLS. The relay then takes the
transceivers over: a publishing m-line's receiver is never started (so nothing is depacketised
or decoded) and becomes an `UpTrack`; a receiving m-line's sender is never started (so nothing
is encoded) and becomes a `DownTrack` slot. Packets move through `FastPath`.

m-line conventions (also in the package docstring): the client's offer lists the tracks it
publishes as `sendonly` - audio, then video "high", then video "low" (districts; the host and
observers may publish fewer) - and one `recvonly` m-line per slot it wants to receive.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import is_rtx
from aiortc.rtcrtpparameters import RTCRtpReceiveParameters, RTCRtpSendParameters
from aiortc.rtcrtptransceiver import RTCRtpTransceiver
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    unpack_remb_fci,
)

from .downtrack import DownTrack, LegParameters
from .errors import MediaError
from .fastpath import FastPath
from .history import unwrap_rtx
from .payloads import OPUS, codec_key
from .rtp import ExtensionIds, RtpParseError, parse_rtp
from .uptrack import UpTrack, remb

if TYPE_CHECKING:
    from .room import Room

logger = logging.getLogger(__name__)

ROLES = ("host", "district", "observer")
# A chair's console has one tile per district plus the speaker; more m-lines than this is abuse.
MAX_VIDEO_SLOTS = 100
MAX_AUDIO_SLOTS = 8
LAYER_BITRATE = {"high": 800_000, "low": 200_000, "audio": 0}


class Participant:
    def __init__(self, room: Room, participant_id: str, role: str) -> None:
        if role not in ROLES:
            raise MediaError(f"unknown role {role!r}; expected one of {', '.join(ROLES)}")
        self.room = room
        self.participant_id = participant_id
        self.role = role
        # One transport for all m-lines: aiortc's default "balanced" policy leaves some of an
        # answerer's transceivers on a transport that never connects.
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.uptracks: dict[str, UpTrack] = {}
        self.video_slots: list[DownTrack] = []
        self.audio_slots: list[DownTrack] = []
        self.fastpath: FastPath | None = None
        self.state = "new"
        self.joined_at = time.time()
        self._by_ssrc: dict[int, tuple[UpTrack, bool]] = {}
        self._by_mid: dict[str, UpTrack] = {}
        self._publish_layers: dict[str, str] = {}
        self._slot_kinds: dict[str, str] = {}
        self._mid_ext = 0
        self._rtx_apt: dict[int, int] = {}
        self._errors = 0
        self.remb_bitrate: int | None = None  # the subscriber's own estimate of its downlink
        self.on_state: Callable[[Participant, str], None] | None = None

    # -- negotiation ---------------------------------------------------------------------------

    async def negotiate(self, offer_sdp: str) -> str:
        try:
            await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        except Exception as exc:  # aiortc raises ValueError, OperationError, AssertionError ...
            raise MediaError(f"SDP offer rejected: {exc or type(exc).__name__}") from exc
        video_layers = iter(("high", "low"))
        transceivers = self.pc.getTransceivers()
        if not transceivers:
            raise MediaError("SDP offer has no audio or video m-line")
        receiving = [t for t in transceivers if t._offerDirection not in ("recvonly", "sendrecv")]
        for kind, limit in (("video", MAX_VIDEO_SLOTS), ("audio", MAX_AUDIO_SLOTS)):
            if sum(1 for t in receiving if t.kind == kind) > limit:
                raise MediaError(f"at most {limit} receiving {kind} m-lines per participant")
        for transceiver in transceivers:
            self._pin_codec(transceiver)
            remote_sends = transceiver._offerDirection in ("recvonly", "sendrecv")
            if remote_sends:
                layer = "audio" if transceiver.kind == "audio" else next(video_layers, None)
                if layer is None:
                    raise MediaError("at most two published video tracks (high, low) per participant")
                self._publish_layers[transceiver.mid] = layer
                transceiver.direction = "recvonly"
                transceiver.receiver.receive = self._receive_hook(transceiver, layer)
            else:
                self._slot_kinds[transceiver.mid] = transceiver.kind
                transceiver.direction = "sendonly"
                transceiver.sender.send = self._send_hook(transceiver)
        dtls = transceivers[0].receiver.transport
        self.fastpath = FastPath(dtls, self._on_rtp, self._on_rtcp)
        self.pc.on("connectionstatechange", self._on_connection_state)
        answer = await self.pc.createAnswer()
        await self.pc.setLocalDescription(answer)
        return self.pc.localDescription.sdp

    def _pin_codec(self, transceiver: RTCRtpTransceiver) -> None:
        """Keep only the room's codec: a sender uses the first negotiated codec, and every leg must
        carry exactly what the publishers send."""
        wanted = OPUS if transceiver.kind == "audio" else self.room.video_codec
        kept = [c for c in transceiver._codecs if not is_rtx(c) and codec_key_or_none(c.mimeType) == wanted]
        if not kept:
            raise MediaError(f"SDP offer has no {wanted.upper()} for its {transceiver.kind} m-line "
                             f"(mid {transceiver.mid}); this meeting relays {wanted.upper()}")
        kept = kept[:1]
        rtx = [c for c in transceiver._codecs if is_rtx(c) and c.parameters.get("apt") == kept[0].payloadType]
        transceiver._codecs = kept + rtx[:1]

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
        codec = parameters.codecs[0]
        ids = ExtensionIds.from_parameters(parameters.headerExtensions)
        self._mid_ext = self._mid_ext or ids.mid
        ssrc = rtx_ssrc = None
        if parameters.encodings:
            ssrc = parameters.encodings[0].ssrc
            if parameters.encodings[0].rtx:
                rtx_ssrc = parameters.encodings[0].rtx.ssrc
        for c in parameters.codecs:
            if is_rtx(c):
                self._rtx_apt[c.payloadType] = c.parameters.get("apt")
        assert self.fastpath is not None
        track = UpTrack(
            stream_id=f"{self.participant_id}/{layer}", participant_id=self.participant_id,
            kind=transceiver.kind, layer=layer, codec=codec_key(codec.mimeType), clock_rate=codec.clockRate,
            ssrc=ssrc, rtx_ssrc=rtx_ssrc, rtcp_ssrc=transceiver.sender._ssrc,
            send_rtcp=self.fastpath.send_rtcp, audio_level_id=ids.audio_level,
            capture_time_id=ids.abs_capture_time, max_bitrate=LAYER_BITRATE[layer])
        self.uptracks[layer] = track
        self._by_mid[parameters.muxId] = track
        if ssrc is not None:
            self._by_ssrc[ssrc] = (track, False)
        if rtx_ssrc is not None:
            self._by_ssrc[rtx_ssrc] = (track, True)
        self.room.publish(self, track)

    def _start_downtrack(self, transceiver: RTCRtpTransceiver, parameters: RTCRtpSendParameters) -> None:
        codec = parameters.codecs[0]
        rtx_pt = next((c.payloadType for c in parameters.codecs if is_rtx(c)), None)
        params = LegParameters(
            mid=parameters.muxId, kind=transceiver.kind, codec=codec_key(codec.mimeType),
            clock_rate=codec.clockRate, payload_type=codec.payloadType, rtx_payload_type=rtx_pt,
            ssrc=transceiver.sender._ssrc, rtx_ssrc=transceiver.sender._rtx_ssrc,
            extensions=ExtensionIds.from_parameters(parameters.headerExtensions))
        assert self.fastpath is not None
        slots = self.video_slots if transceiver.kind == "video" else self.audio_slots
        leg = DownTrack(params, self.fastpath.send_rtp, self.fastpath.send_rtcp,
                        slot=f"{transceiver.kind}{len(slots)}")
        slots.append(leg)
        self.room.subscribe(self, leg)

    # -- packets -------------------------------------------------------------------------------

    def _on_rtp(self, packet: bytes) -> None:
        try:
            view = parse_rtp(packet)
        except RtpParseError:
            self._errors += 1
            return
        entry = self._by_ssrc.get(view.ssrc)
        if entry is None:
            entry = self._learn_ssrc(view)
            if entry is None:
                return
        track, rtx = entry
        if rtx:
            try:
                view.sequence_number, view.payload = unwrap_rtx(view.payload)
            except ValueError:
                return
            view.payload_type = self._rtx_apt.get(view.payload_type, view.payload_type)
            view.ssrc = track.ssrc or view.ssrc
        try:
            track.receive(view)
        except Exception:
            self._errors += 1
            if self._errors < 5:
                logger.exception("relay failed on a packet from %s", self.participant_id)

    def _learn_ssrc(self, view) -> tuple[UpTrack, bool] | None:
        """Unsignalled SSRC: identify the track by its mid header extension (RFC 8843)."""
        if not self._mid_ext:
            return None
        raw = view.extensions.get(self._mid_ext)
        track = self._by_mid.get(raw.decode(errors="replace")) if raw else None
        if track is None:
            return None
        rtx = view.payload_type in self._rtx_apt
        if rtx:
            track.rtx_ssrc = view.ssrc
        else:
            track.ssrc = view.ssrc
        self._by_ssrc[view.ssrc] = (track, rtx)
        return track, rtx

    def _on_rtcp(self, data: bytes) -> None:
        try:
            packets = RtcpPacket.parse(data)
        except ValueError:
            return
        legs = {leg.params.ssrc: leg for leg in (*self.video_slots, *self.audio_slots)}
        for packet in packets:
            if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
                for report in packet.reports:
                    leg = legs.get(report.ssrc)
                    if leg is not None:
                        leg.on_receiver_report(report.fraction_lost, report.jitter, report.lsr, report.dlsr)
                if isinstance(packet, RtcpSrPacket):
                    entry = self._by_ssrc.get(packet.ssrc)
                    if entry is not None:
                        entry[0].on_sender_report(packet.sender_info.ntp_timestamp)
            elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                leg = legs.get(packet.media_ssrc)
                if leg is not None:
                    leg.on_nack(packet.lost)
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                leg = legs.get(packet.media_ssrc)
                if leg is None and packet.fmt == RTCP_PSFB_FIR:
                    leg = next(iter(self.video_slots), None)
                if leg is not None:
                    leg.on_keyframe_request()
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                with contextlib.suppress(ValueError):
                    self.remb_bitrate = unpack_remb_fci(packet.fci)[0]

    def periodic_rtcp(self) -> None:
        """Sender reports for each slot, receiver reports and REMB for each published track."""
        if self.fastpath is None or not self.fastpath.connected:
            return
        for leg in (*self.video_slots, *self.audio_slots):
            report = leg.sender_report()
            if report is not None:
                self.fastpath.send_rtcp(report)
        tracks = list(self.uptracks.values())
        for track in tracks:
            report = track.receiver_report()
            if report is not None:
                self.fastpath.send_rtcp(report)
        estimate = remb(tracks[0].rtcp_ssrc, tracks) if tracks else None
        if estimate is not None:
            self.fastpath.send_rtcp(estimate)

    # -- state ---------------------------------------------------------------------------------

    def _on_connection_state(self) -> None:
        self.state = self.pc.connectionState
        if self.on_state is not None:
            self.on_state(self, self.state)

    def link_stats(self) -> dict:
        fp = self.fastpath
        legs = [*self.video_slots, *self.audio_slots]
        rtts = [leg.rtt for leg in legs if leg.rtt is not None]
        up_lost = sum(t.stats.lost for t in self.uptracks.values())
        up_expected = sum(t.stats.expected for t in self.uptracks.values())
        return {
            "participant": self.participant_id,
            "state": self.state,
            "bytes_in": fp.bytes_received if fp else 0,
            "bytes_out": fp.bytes_sent if fp else 0,
            "packets_in": fp.packets_received if fp else 0,
            "packets_out": fp.packets_sent if fp else 0,
            "loss_in_pct": round(100.0 * up_lost / up_expected, 2) if up_expected else 0.0,
            "loss_out_pct": round(max((leg.remote_fraction_lost for leg in legs), default=0) * 100 / 256, 2),
            "jitter_in_ms": round(max((t.stats.jitter * 1000 / t.clock_rate for t in self.uptracks.values()),
                                      default=0.0), 2),
            "jitter_out_ms": round(max((leg.remote_jitter * 1000 / leg.params.clock_rate for leg in legs),
                                       default=0.0), 2),
            "rtt_ms": round(1000 * sum(rtts) / len(rtts), 1) if rtts else None,
            "retransmitted": sum(leg.retransmitted for leg in legs),
            "remb_bps": self.remb_bitrate,
        }

    async def close(self) -> None:
        for leg in (*self.video_slots, *self.audio_slots):
            leg.attach(None)
        if self.fastpath is not None:
            self.fastpath.connected = False
        await self.pc.close()


def codec_key_or_none(mime_type: str) -> str | None:
    try:
        return codec_key(mime_type)
    except ValueError:
        return None
