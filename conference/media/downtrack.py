"""A `DownTrack`: one receiving m-line of a subscriber's session (what the signaling protocol calls
a slot), bound by its room to one source at a time, or to none.

It asks its `Forwarder` what to do with each packet and does the I/O: it rewrites the packet for
this subscriber (SSRC, payload type, the forwarder's sequence number and timestamp, the header
extensions the m-line negotiated, VP8 picture ids), sends it, keeps it to answer NACKs, asks its
source for keyframes when the forwarder says so, and reports (SR) what it sent.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

from .forwarder import KEYFRAME_RETRY, Forwarder
from .history import PacketHistory, wrap_rtx
from .payloads import VP8, Vp8PictureIdRewriter, vp8_descriptor
from .rtp import ONE_BYTE_PROFILE, ExtensionIds, RtpView, build_rtp, extension_block, ntp_now
from .streams import Source

_EXT_HEADER = struct.Struct("!HH")


@dataclass(slots=True)
class DownTrackParameters:
    """What was negotiated for this m-line of the subscriber's session."""

    mid: str
    kind: str
    codec: str
    clock_rate: int
    payload_type: int
    rtx_payload_type: int | None
    ssrc: int
    rtx_ssrc: int
    extensions: ExtensionIds


class DownTrack:
    """A `Sink` of the source it is bound to."""

    def __init__(self, params: DownTrackParameters, send: Callable[[bytes], None]) -> None:
        self.params = params
        self._send = send
        self.source: Source | None = None
        self.forwarder = Forwarder(params.kind, params.clock_rate)
        self.history = PacketHistory(1024 if params.kind == "video" else 128)
        self._vp8 = Vp8PictureIdRewriter() if params.codec == VP8 else None
        ext = params.extensions
        # One-byte header extension elements (RFC 8285), prepared once per m-line.
        self._mid_element = bytes([(ext.mid << 4) | (len(params.mid) - 1)]) + params.mid.encode() if ext.mid else b""
        self._send_time_tag = bytes([(ext.abs_send_time << 4) | 2]) if ext.abs_send_time else b""
        self._level_tag = (ext.audio_level << 4) if ext.audio_level else 0
        self._capture_tag = bytes([(ext.abs_capture_time << 4) | 7]) if ext.abs_capture_time else b""
        self._capture_id = self._capture_tag[0] if self._capture_tag else 0
        self._payload_type = params.payload_type
        self._ssrc = params.ssrc
        self._h00 = self._packer(False, False)
        self._h10 = self._packer(True, False)
        self._h01 = self._packer(False, True)
        self._h11 = self._packer(True, True)
        self._rtx_seq = random.randrange(0x8000)
        self.packets = 0
        self.bytes = 0
        self.retransmitted = 0
        # Filled from the subscriber's receiver reports.
        self.remote_fraction_lost = 0
        self.remote_jitter = 0
        self.rtt: float | None = None
        self._last_sr_mid = 0
        self._pending: _LayerUpgrade | None = None

    # -- binding ------------------------------------------------------------------------------

    def bind(self, source: Source | None, fallback: Source | None = None) -> bool:
        """Receive from `source` from now on (None: send nothing); True when it changed.

        `fallback`: another layer of the same publisher that is flowing while `source` is paused
        (nobody watched it, so its publisher stopped sending it). The DownTrack shows `fallback`
        at once and moves to `source` at `source`'s first keyframe, so a switch to a paused
        layer costs a keyframe of a layer already flowing, not the publisher's resume."""
        pending = self._pending
        if pending is not None:
            if pending.target is source:
                return False  # already on its way there
            self._cancel_pending()
        if fallback is not None and source is not None and fallback is not source:
            if fallback is not self.source:
                self._attach(fallback, time.monotonic())
            self._pending = _LayerUpgrade(self, source)
            source.add_sink(self._pending)
            source.request_keyframe()
            return True
        if source is self.source:
            return False
        self._attach(source, time.monotonic())
        return True

    @property
    def target(self) -> Source | None:
        """The source this DownTrack shows, or will show once its pending layer's keyframe comes."""
        return self._pending.target if self._pending is not None else self.source

    def _attach(self, source: Source | None, now: float, at_keyframe: bool = False) -> None:
        if self.source is not None:
            self.source.remove_sink(self)
        self.source = source
        if source is None:
            self.forwarder.unbind()
            return
        source.add_sink(self)
        if self._vp8 is not None:
            self._vp8.switch()
        if self.forwarder.bind(now) and not at_keyframe:
            source.request_keyframe()

    def _cancel_pending(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.target.remove_sink(pending)

    def _upgrade(self, pending: _LayerUpgrade, packet: RtpView, now: float, send_time: bytes) -> None:
        """The pending layer starts a keyframe: show it from this packet on."""
        if pending is not self._pending:
            return
        self._cancel_pending()
        self._attach(pending.target, now, at_keyframe=True)
        # `dispatch` hands this packet to the sinks the target had before this one was added.
        self.forward(packet, now, send_time)

    # -- hot path -----------------------------------------------------------------------------

    def forward(self, packet: RtpView, now: float, send_time: bytes) -> None:
        mapped = self.forwarder.translate(packet.sequence_number, packet.timestamp, packet.keyframe, now)
        if mapped is None:
            return
        seq, ts = mapped
        payload = packet.payload
        vp8 = self._vp8
        if vp8 is not None:
            descriptor = packet.vp8
            if descriptor is None:  # the first DownTrack to forward this packet reads it for all
                descriptor = packet.vp8 = vp8_descriptor(payload)
            if descriptor:
                b0, x, picture_id, bits, tl0, tid, rest = descriptor
                payload = vp8.descriptor(b0, x, picture_id, bits, tl0, tid) + rest
        level = packet.audio_level if self._level_tag else None
        capture = packet.capture_time if self._capture_tag else None
        # The header and its extension block in one `pack`, chosen by which optional elements
        # this packet carries (see `_packers`).
        b1 = (packet.marker << 7) | self._payload_type
        if capture is None:
            if level is None:
                pack, b0, head = self._h00
                header = pack(b0, b1, seq, ts, self._ssrc, head, send_time)
            else:
                pack, b0, head = self._h10
                header = pack(b0, b1, seq, ts, self._ssrc, head, send_time, self._level_tag, level)
        elif len(capture) == 8:
            if level is None:
                pack, b0, head = self._h01
                header = pack(b0, b1, seq, ts, self._ssrc, head, send_time, self._capture_id, capture)
            else:
                pack, b0, head = self._h11
                header = pack(b0, b1, seq, ts, self._ssrc, head, send_time, self._level_tag, level,
                              self._capture_id, capture)
        else:
            header = self._header_any(b1, seq, ts, send_time, level, capture)
        data = header + payload
        self.history.put(seq, data)
        self._send(data)
        self.packets += 1
        self.bytes += len(payload)

    def _packer(self, level: bool, capture: bool) -> tuple[Callable[..., bytes], int, bytes]:
        """(pack, first byte, constant extension head) for packets with or without an audio
        level and a capture time: `pack(first byte, b1, seq, ts, ssrc, head, send_time[, level
        tag, level][, capture tag, capture])` gives what `build_rtp(..., extension_block(...))`
        gives for the same elements, without the payload."""
        send_time = b"\0" * 3 if self._send_time_tag else b""
        elements = self._mid_element + self._send_time_tag + send_time + (b"\0\0" if level else b"") + (
            b"\0" * 9 if capture else b"")
        if elements:
            pad = -len(elements) % 4
            head = _EXT_HEADER.pack(ONE_BYTE_PROFILE, (len(elements) + pad) // 4) + self._mid_element
            head += self._send_time_tag
            first = 0x90
        else:
            pad, head, first = 0, b"", 0x80
        fmt = f"!BBHII{len(head)}s{len(send_time)}s" + ("BB" if level else "") + ("B8s" if capture else "") + f"{pad}x"
        return struct.Struct(fmt).pack, first, head

    def _header_any(self, b1: int, seq: int, ts: int, send_time: bytes, level: int | None,
                    capture: bytes | None) -> bytes:
        """The general case (a capture time that is not 8 bytes long), as before the packers."""
        ext = self._mid_element
        if self._send_time_tag:
            ext += self._send_time_tag + send_time
        if level is not None and self._level_tag:
            ext += bytes((self._level_tag, level))
        if capture is not None and self._capture_tag:
            ext += self._capture_tag + capture
        return build_rtp(b1 & 0x7F, b1 >> 7, seq, ts, self.params.ssrc, b"", extension_block(ext))

    def maintain(self, now: float) -> None:
        """Ask again for a keyframe while the DownTrack waits for one (the first may have been lost),
        and for the pending layer's while it shows a fallback."""
        if self.source is not None and self.forwarder.keyframe_due(now):
            self.source.request_keyframe()
        pending = self._pending
        if pending is not None and now - pending.asked_at >= KEYFRAME_RETRY:
            pending.asked_at = now
            pending.target.request_keyframe()

    # -- feedback from the subscriber ---------------------------------------------------------

    def on_nack(self, sequence_numbers: list[int]) -> None:
        missing = []
        for seq in sequence_numbers:
            packet = self.history.get(seq)
            if packet is None:
                missing.append(seq)
                continue
            if self.params.rtx_payload_type is not None:
                packet = wrap_rtx(packet, self.params.rtx_payload_type, self._rtx_seq, self.params.rtx_ssrc)
                self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
            self._send(packet)
            self.retransmitted += 1
        if missing and self.source is not None:
            upstream = self.forwarder.upstream(missing)
            if upstream:
                self.source.nack(upstream)

    def on_keyframe_request(self) -> None:
        if self.source is not None:
            self.source.request_keyframe()

    def on_receiver_report(self, fraction_lost: int, jitter: int, lsr: int, dlsr: int) -> None:
        self.remote_fraction_lost = fraction_lost
        self.remote_jitter = jitter
        if lsr and lsr == self._last_sr_mid:
            now_mid = (ntp_now() >> 16) & 0xFFFFFFFF
            rtt = ((now_mid - lsr - dlsr) & 0xFFFFFFFF) / 65536
            if rtt < 60:
                self.rtt = rtt if self.rtt is None else 0.85 * self.rtt + 0.15 * rtt

    def sender_report(self) -> bytes | None:
        """SR mapping this DownTrack's RTP clock to wall time, for the subscriber's lip sync and RTT."""
        rtp_ts = self.forwarder.rtp_timestamp_at(time.monotonic())
        if rtp_ts is None:
            return None
        ntp = ntp_now()
        self._last_sr_mid = (ntp >> 16) & 0xFFFFFFFF
        return bytes(RtcpSrPacket(ssrc=self.params.ssrc, sender_info=RtcpSenderInfo(
            ntp_timestamp=ntp, rtp_timestamp=rtp_ts, packet_count=self.packets & 0xFFFFFFFF,
            octet_count=self.bytes & 0xFFFFFFFF)))


class _LayerUpgrade:
    """A sink on a layer a DownTrack waits for: at the layer's first keyframe the DownTrack moves
    there (`DownTrack.bind`'s fallback)."""

    __slots__ = ("downtrack", "target", "asked_at")

    def __init__(self, downtrack: DownTrack, target: Source) -> None:
        self.downtrack = downtrack
        self.target = target
        self.asked_at = time.monotonic()

    def forward(self, packet: RtpView, now: float, send_time: bytes) -> None:
        if packet.keyframe:
            self.downtrack._upgrade(self, packet, now, send_time)
