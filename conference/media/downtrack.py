"""One outgoing track toward one subscriber: a "slot" whose source can change.

The relay rewrites each forwarded packet for the leg: SSRC, payload type, sequence number and
timestamp (fixed offsets per source, so losses stay visible and NACKs can be answered), the
header extensions the leg negotiated, and for VP8 the picture id. When the slot switches to a
new source it keeps numbering continuous, drops video until the new source's next keyframe
start and asks the new source for one.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.rtp import RtcpSenderInfo, RtcpSrPacket

from .history import PacketHistory, wrap_rtx
from .payloads import VP8, Vp8PictureIdRewriter
from .rtp import ExtensionIds, RtpView, build_rtp, extension_block, ntp_now, seq_newer
from .uptrack import UpTrackBase

KEYFRAME_RETRY = 0.6


@dataclass(slots=True)
class LegParameters:
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
    def __init__(self, params: LegParameters, send: Callable[[bytes], None],
                 send_rtcp: Callable[[bytes], None], slot: str) -> None:
        self.params = params
        self.slot = slot
        self._send = send
        self._send_rtcp = send_rtcp
        self.source: UpTrackBase | None = None
        self.history = PacketHistory(1024 if params.kind == "video" else 128)
        self._vp8 = Vp8PictureIdRewriter() if params.codec == VP8 else None
        ext = params.extensions
        # One-byte header extension elements (RFC 8285), prepared once per leg.
        self._mid_element = bytes([(ext.mid << 4) | (len(params.mid) - 1)]) + params.mid.encode() if ext.mid else b""
        self._send_time_tag = bytes([(ext.abs_send_time << 4) | 2]) if ext.abs_send_time else b""
        self._level_tag = (ext.audio_level << 4) if ext.audio_level else 0
        self._capture_tag = bytes([(ext.abs_capture_time << 4) | 7]) if ext.abs_capture_time else b""
        self._seq_offset = 0
        self._ts_offset = 0
        self._base_in_seq = 0
        self._last_seq = random.randrange(0x8000)
        self._last_ts = random.randrange(0x100000000)
        self._last_time: float | None = None
        self._rebase = True
        self._waiting_keyframe = False
        self._switched_at = 0.0
        self._last_request = 0.0
        self._rtx_seq = random.randrange(0x8000)
        self.packets = 0
        self.bytes = 0
        self.retransmitted = 0
        self.switches = 0
        self.switch_delays: deque[float] = deque(maxlen=200)
        # Filled from the subscriber's receiver reports.
        self.remote_fraction_lost = 0
        self.remote_jitter = 0
        self.rtt: float | None = None
        self._last_sr_mid = 0
        self._last_sr_time = 0.0

    # -- source binding ---------------------------------------------------------------------

    def attach(self, source: UpTrackBase | None) -> bool:
        """Bind the slot to `source` (None = pause); True when it changed."""
        if source is self.source:
            return False
        if self.source is not None and self in self.source.downtracks:
            self.source.downtracks.remove(self)
        self.source = source
        self._rebase = True
        if source is not None:
            source.downtracks.append(self)
            self.switches += 1
            self._switched_at = self._last_request = time.monotonic()
            if self.params.kind == "video":
                self._waiting_keyframe = True
                if self._vp8 is not None:
                    self._vp8.switch()
                source.request_keyframe()
        return True

    # -- hot path -----------------------------------------------------------------------------

    def forward(self, view: RtpView, keyframe: bool, send_time: bytes,
                capture_time: bytes | None, audio_level: int | None) -> None:
        if self._rebase:
            if self._waiting_keyframe and not keyframe:
                return
            self._waiting_keyframe = False
            self._rebase_on(view)
        elif seq_newer(self._base_in_seq, view.sequence_number):
            return  # older than the switch point: would reuse numbers already sent
        elif (view.sequence_number - self._base_in_seq) & 0xFFFF > 0x4000:
            # Let the switch point trail the stream, or after half the sequence space the
            # comparison above would see every new packet as older.
            self._base_in_seq = (view.sequence_number - 0x4000) & 0xFFFF
        params = self.params
        seq = (view.sequence_number + self._seq_offset) & 0xFFFF
        ts = (view.timestamp + self._ts_offset) & 0xFFFFFFFF
        payload = view.payload if self._vp8 is None else self._vp8.rewrite(view.payload)
        ext = self._mid_element
        if self._send_time_tag:
            ext += self._send_time_tag + send_time
        if audio_level is not None and self._level_tag:
            ext += bytes((self._level_tag, audio_level))
        if capture_time is not None and self._capture_tag:
            ext += self._capture_tag + capture_time
        packet = build_rtp(params.payload_type, view.marker, seq, ts, params.ssrc, payload, extension_block(ext))
        self.history.put(seq, packet)
        self._send(packet)
        if seq_newer(seq, self._last_seq):
            self._last_seq = seq
            self._last_ts = ts
            self._last_time = time.monotonic()
        self.packets += 1
        self.bytes += len(payload)

    def _rebase_on(self, view: RtpView) -> None:
        now = time.monotonic()
        self._seq_offset = (self._last_seq + 1 - view.sequence_number) & 0xFFFF
        # Advance the timestamp by the wall time since the last packet sent, so the receiver's
        # playout clock keeps running at the right speed across the switch.
        step = 1 if self._last_time is None else max(1, int((now - self._last_time) * self.params.clock_rate))
        self._ts_offset = (self._last_ts + step - view.timestamp) & 0xFFFFFFFF
        self._base_in_seq = view.sequence_number
        self._rebase = False
        if self.params.kind == "video" and self.switches:
            self.switch_delays.append(now - self._switched_at)

    def maintain(self, now: float) -> None:
        """Ask again for a keyframe while the slot waits for one (the first may have been lost)."""
        if self._waiting_keyframe and self.source is not None and now - self._last_request >= KEYFRAME_RETRY:
            self._last_request = now
            self.source.request_keyframe()

    # -- feedback from the subscriber ---------------------------------------------------------

    def on_nack(self, sequence_numbers: list[int]) -> None:
        missing_upstream = []
        for seq in sequence_numbers:
            packet = self.history.get(seq)
            if packet is None:
                missing_upstream.append((seq - self._seq_offset) & 0xFFFF)
                continue
            if self.params.rtx_payload_type is not None:
                packet = wrap_rtx(packet, self.params.rtx_payload_type, self._rtx_seq, self.params.rtx_ssrc)
                self._rtx_seq = (self._rtx_seq + 1) & 0xFFFF
            self._send(packet)
            self.retransmitted += 1
        if missing_upstream and self.source is not None and not self._rebase:
            self.source.nack(missing_upstream)

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
        """SR mapping this leg's RTP clock to wall time, for the subscriber's lip sync and RTT."""
        if self._last_time is None:
            return None
        ntp = ntp_now()
        elapsed = time.monotonic() - self._last_time
        rtp_ts = (self._last_ts + int(elapsed * self.params.clock_rate)) & 0xFFFFFFFF
        self._last_sr_mid = (ntp >> 16) & 0xFFFFFFFF
        self._last_sr_time = time.time()
        return bytes(RtcpSrPacket(ssrc=self.params.ssrc, sender_info=RtcpSenderInfo(
            ntp_timestamp=ntp, rtp_timestamp=rtp_ts, packet_count=self.packets & 0xFFFFFFFF,
            octet_count=self.bytes & 0xFFFFFFFF)))
