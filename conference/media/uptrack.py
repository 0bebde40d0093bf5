"""A published stream as the relay receives it: one publisher's audio, high or low video.

An `UpTrack` lives on the worker that owns the publisher's transport; workers that forward the
stream to their own subscribers hold a `RemoteUpTrack` fed over the worker mesh. Both fan a
packet out to the `DownTrack`s currently bound to them.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    pack_remb_fci,
)

from .keyframes import KeyframeRequestLimiter
from .payloads import is_keyframe_start
from .rtp import RtpView, abs_send_time_now, seq_newer

if TYPE_CHECKING:
    from .downtrack import DownTrack


class ReceiveStatistics:
    """RFC 3550 receiver counters for one SSRC: loss, jitter, highest sequence number."""

    __slots__ = ("clock_rate", "base_seq", "max_seq", "cycles", "received", "jitter_q4",
                 "_last_transit", "_expected_prior", "_received_prior", "lost_interval_fraction")

    def __init__(self, clock_rate: int) -> None:
        self.clock_rate = clock_rate
        self.base_seq: int | None = None
        self.max_seq = 0
        self.cycles = 0
        self.received = 0
        self.jitter_q4 = 0
        self._last_transit: int | None = None
        self._expected_prior = 0
        self._received_prior = 0
        self.lost_interval_fraction = 0

    def add(self, seq: int, timestamp: int, arrival: float) -> bool:
        """Count a packet; True when it is newer than every packet seen before."""
        self.received += 1
        if self.base_seq is None:
            self.base_seq = self.max_seq = seq
            return True
        if not seq_newer(seq, self.max_seq):
            return False
        if seq < self.max_seq:
            self.cycles += 0x10000
        self.max_seq = seq
        transit = int(arrival * self.clock_rate) - timestamp
        if self._last_transit is not None:
            d = abs(transit - self._last_transit)
            if d < self.clock_rate:  # a timestamp jump is a new talkspurt, not jitter
                self.jitter_q4 += d - ((self.jitter_q4 + 8) >> 4)
        self._last_transit = transit
        return True

    @property
    def expected(self) -> int:
        return 0 if self.base_seq is None else self.cycles + self.max_seq - self.base_seq + 1

    @property
    def lost(self) -> int:
        return max(0, self.expected - self.received)

    @property
    def jitter(self) -> int:
        return self.jitter_q4 >> 4

    def report(self, ssrc: int, lsr: int = 0, dlsr: int = 0) -> RtcpReceiverInfo:
        expected = self.expected
        expected_interval = expected - self._expected_prior
        received_interval = self.received - self._received_prior
        self._expected_prior, self._received_prior = expected, self.received
        lost_interval = expected_interval - received_interval
        fraction = 0 if expected_interval <= 0 or lost_interval <= 0 else (lost_interval << 8) // expected_interval
        self.lost_interval_fraction = fraction
        return RtcpReceiverInfo(ssrc=ssrc, fraction_lost=min(fraction, 255), packets_lost=min(self.lost, 0x7FFFFF),
                                highest_sequence=(self.cycles + self.max_seq) & 0xFFFFFFFF,
                                jitter=self.jitter, lsr=lsr, dlsr=dlsr)


class UpTrackBase:
    """What a `DownTrack` needs from its source, local or remote."""

    def __init__(self, *, stream_id: str, participant_id: str, kind: str, layer: str, codec: str,
                 clock_rate: int) -> None:
        self.stream_id = stream_id
        self.participant_id = participant_id
        self.kind = kind  # "audio" or "video"
        self.layer = layer  # "audio", "high" or "low"
        self.codec = codec
        self.clock_rate = clock_rate
        self.downtracks: list[DownTrack] = []
        self.packets = 0
        self.bytes = 0
        self.on_level: Callable[[str, int], None] | None = None

    def dispatch(self, view: RtpView, capture_time: bytes | None, audio_level: int | None) -> None:
        """Hand one packet to every bound leg (the relay's hot path)."""
        self.packets += 1
        self.bytes += len(view.payload)
        if audio_level is not None and self.on_level is not None:
            self.on_level(self.participant_id, audio_level)
        keyframe = self.kind == "video" and is_keyframe_start(self.codec, view.payload)
        if keyframe:
            self.on_keyframe()
        send_time = abs_send_time_now()
        for leg in self.downtracks:
            leg.forward(view, keyframe, send_time, capture_time, audio_level)

    def request_keyframe(self) -> None:
        raise NotImplementedError

    def on_keyframe(self) -> None:
        """A keyframe from the publisher starts (before any leg sees it)."""

    def nack(self, sequence_numbers: list[int]) -> None:
        """Ask the publisher to resend packets a subscriber missed and the leg no longer holds."""


class UpTrack(UpTrackBase):
    """A stream received on this worker from its publisher."""

    def __init__(
        self,
        *,
        stream_id: str,
        participant_id: str,
        kind: str,
        layer: str,
        codec: str,
        clock_rate: int,
        ssrc: int | None,
        rtx_ssrc: int | None,
        rtcp_ssrc: int,
        send_rtcp: Callable[[bytes], None],
        audio_level_id: int,
        capture_time_id: int,
        max_bitrate: int,
    ) -> None:
        super().__init__(stream_id=stream_id, participant_id=participant_id, kind=kind, layer=layer, codec=codec,
                         clock_rate=clock_rate)
        self.ssrc = ssrc
        self.rtx_ssrc = rtx_ssrc
        self.rtcp_ssrc = rtcp_ssrc
        self.audio_level_id = audio_level_id
        self.capture_time_id = capture_time_id
        self.max_bitrate = max_bitrate
        self._send_rtcp = send_rtcp
        self.stats = ReceiveStatistics(clock_rate)
        self.keyframes = KeyframeRequestLimiter(self._send_pli)
        self.remote_workers: set[int] = set()
        self.forward_remote: Callable[[UpTrack, RtpView, int, bytes | None], None] | None = None
        self.mesh_number = 0
        self.last_sr_ntp_mid = 0
        self.last_sr_time = 0.0
        self.muted = False
        self.hinted_in_use: bool | None = None
        self._missing: dict[int, int] = {}
        self._last_seq: int | None = None

    def receive(self, view: RtpView) -> None:
        """A decrypted packet from the publisher (RTX already unwrapped)."""
        now = time.time()
        newer = self.stats.add(view.sequence_number, view.timestamp, now)
        if self.kind == "video":
            self._track_gaps(view.sequence_number, newer)
        level = None
        if self.audio_level_id:
            raw = view.extensions.get(self.audio_level_id)
            if raw:
                level = raw[0] & 0x7F
        if self.muted:
            return
        capture = view.extensions.get(self.capture_time_id) if self.capture_time_id else None
        if self.remote_workers and self.forward_remote is not None:
            self.forward_remote(self, view, 255 if level is None else level, capture)
        self.dispatch(view, capture, level)

    def _track_gaps(self, seq: int, newer: bool) -> None:
        missing = self._missing
        if not newer:
            missing.pop(seq, None)
            return
        last = self._last_seq
        self._last_seq = seq
        if last is not None:
            gap = (seq - last - 1) & 0xFFFF
            if 0 < gap < 100:
                lost = [(last + 1 + i) & 0xFFFF for i in range(gap)]
                missing.update(dict.fromkeys(lost, 0))
                self._send_nack(lost)
        if len(missing) > 200:
            for s in list(missing)[:100]:
                del missing[s]

    def nack(self, sequence_numbers: list[int]) -> None:
        wanted = [s for s in sequence_numbers if s in self._missing]
        if wanted:
            self._send_nack(wanted)

    def _send_nack(self, lost: list[int]) -> None:
        if self.ssrc is None:
            return
        packet = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=self.rtcp_ssrc, media_ssrc=self.ssrc)
        packet.lost = lost
        self._send_rtcp(bytes(packet))

    def request_keyframe(self) -> None:
        if self.kind == "video":
            self.keyframes.request()

    def on_keyframe(self) -> None:
        self.keyframes.keyframe_received()

    def _send_pli(self) -> None:
        if self.ssrc is not None:
            self._send_rtcp(bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=self.rtcp_ssrc, media_ssrc=self.ssrc)))

    def on_sender_report(self, ntp_timestamp: int) -> None:
        self.last_sr_ntp_mid = (ntp_timestamp >> 16) & 0xFFFFFFFF
        self.last_sr_time = time.time()

    def receiver_report(self) -> bytes | None:
        if self.ssrc is None or self.stats.base_seq is None:
            return None
        dlsr = int((time.time() - self.last_sr_time) * 65536) if self.last_sr_ntp_mid else 0
        return bytes(RtcpRrPacket(ssrc=self.rtcp_ssrc,
                                  reports=[self.stats.report(self.ssrc, self.last_sr_ntp_mid, dlsr)]))


def remb(rtcp_ssrc: int, tracks: list[UpTrack]) -> bytes | None:
    """One REMB for a publisher's whole transport (REMB is a per-transport estimate, not per
    stream): the sum of what the relay takes of each of its video tracks."""
    video = [t for t in tracks if t.kind == "video" and t.ssrc is not None and t.max_bitrate]
    if not video:
        return None
    return bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                                fci=pack_remb_fci(sum(t.max_bitrate for t in video), [t.ssrc for t in video])))


class RemoteUpTrack(UpTrackBase):
    """A stream whose publisher is on another worker; packets arrive over the mesh."""

    def __init__(self, *, stream_id: str, participant_id: str, kind: str, layer: str, codec: str,
                 clock_rate: int, owner: int, request: Callable[[int, dict], None]) -> None:
        super().__init__(stream_id=stream_id, participant_id=participant_id, kind=kind, layer=layer, codec=codec,
                         clock_rate=clock_rate)
        self.owner = owner
        self._request = request

    def request_keyframe(self) -> None:
        # Deferred, so that the "want" this worker announces in the same rebind reaches the
        # owner first: a keyframe sent before the owner forwards the stream would be lost.
        if self.kind == "video":
            asyncio.get_running_loop().call_soon(self._request, self.owner, {"t": "pli", "stream": self.stream_id})

    def nack(self, sequence_numbers: list[int]) -> None:
        self._request(self.owner, {"t": "nack", "stream": self.stream_id, "seqs": sequence_numbers})
