"""A published track as the relay receives it: one publisher's audio, high or low video.

An `UpTrack` lives on the worker that holds the publisher's transport; a worker that forwards
the track to its own subscribers holds a `RemoteUpTrack` for it, fed over the worker mesh. Both
are `Source`s: they hand each packet to the `Sink`s bound to them (`DownTrack`s, the `MeshFeed`
toward other workers).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol

from aiortc.rtp import (
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpReceiverInfo,
    RtcpRrPacket,
    RtcpRtpfbPacket,
)

from .keyframes import KeyframeRequestLimiter
from .payloads import is_keyframe_start
from .rtp import RtpView, abs_send_time_now, ntp_to_unix, seq_newer
from .streams import Sink

# A track with no packet for this long is taken as paused (video sends 15-30 frames a second).
FLOW_TIMEOUT = 0.5


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
    """The `Source` side common to local and remote tracks: the sinks and the fan-out."""

    def __init__(self, *, track_id: str, participant_id: str, kind: str, layer: str, codec: str,
                 clock_rate: int) -> None:
        self.track_id = track_id
        self.participant_id = participant_id
        self.kind = kind  # "audio" or "video"
        self.layer = layer  # "audio", "high" or "low"
        self.codec = codec
        self.clock_rate = clock_rate
        # Replaced, never changed in place: a sink may add or remove sinks while `dispatch` is
        # handing a packet to the list it read (a DownTrack moving to a layer at its keyframe).
        self.sinks: list[Sink] = []
        self.last_packet_at = float("-inf")  # time.monotonic() of the last packet dispatched
        self.packets = 0
        self.bytes = 0
        self.on_level: Callable[[str, int], None] | None = None
        self._video = kind == "video"

    def add_sink(self, sink: Sink) -> None:
        if sink not in self.sinks:
            self.sinks = [*self.sinks, sink]

    def remove_sink(self, sink: Sink) -> None:
        if sink in self.sinks:
            self.sinks = [s for s in self.sinks if s is not sink]

    def flowing(self, now: float) -> bool:
        """Whether packets arrive (a paused layer sends none)."""
        return now - self.last_packet_at < FLOW_TIMEOUT

    def dispatch(self, packet: RtpView) -> None:
        """Hand one packet to every sink (the relay's hot path)."""
        self.packets += 1
        payload = packet.payload
        self.bytes += len(payload)
        level = packet.audio_level
        if level is not None and self.on_level is not None:
            self.on_level(self.participant_id, level)
        if self._video and is_keyframe_start(self.codec, payload):
            packet.keyframe = True
            self.on_keyframe()
        now = self.last_packet_at = time.monotonic()
        sinks = self.sinks
        if sinks:
            send_time = abs_send_time_now()
            for sink in sinks:
                sink.forward(packet, now, send_time)

    def request_keyframe(self, background: bool = False) -> None:
        raise NotImplementedError

    def on_keyframe(self) -> None:
        """A keyframe from the publisher starts (before any sink sees it)."""

    def nack(self, sequence_numbers: list[int]) -> None:
        """Ask the publisher to resend packets a subscriber missed and the relay no longer holds."""


class UpTrack(UpTrackBase):
    """A track received on this worker from its publisher."""

    def __init__(
        self,
        *,
        track_id: str,
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
        super().__init__(track_id=track_id, participant_id=participant_id, kind=kind, layer=layer, codec=codec,
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
        self.last_sr_ntp_mid = 0
        self.last_sr_time = 0.0
        self.last_sr: tuple[float, int] | None = None  # (Unix time, RTP timestamp) of the last SR
        self.muted = False
        self._missing: dict[int, int] = {}
        self._last_seq: int | None = None

    def receive(self, packet: RtpView) -> None:
        """A decrypted packet from the publisher (RTX already unwrapped)."""
        newer = self.stats.add(packet.sequence_number, packet.timestamp, time.time())
        if self._video:
            self._track_gaps(packet.sequence_number, newer)
        if self.audio_level_id:
            raw = packet.extensions.get(self.audio_level_id)
            if raw:
                packet.audio_level = raw[0] & 0x7F
        if self.muted:
            return
        if self.capture_time_id:
            packet.capture_time = packet.extensions.get(self.capture_time_id)
        self.dispatch(packet)

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

    def request_keyframe(self, background: bool = False) -> None:
        if self._video:
            self.keyframes.request(background)

    def on_keyframe(self) -> None:
        self.keyframes.keyframe_received()

    def _send_pli(self) -> None:
        if self.ssrc is not None:
            self._send_rtcp(bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_PLI, ssrc=self.rtcp_ssrc, media_ssrc=self.ssrc)))

    def on_sender_report(self, ntp_timestamp: int, rtp_timestamp: int | None = None) -> None:
        self.last_sr_ntp_mid = (ntp_timestamp >> 16) & 0xFFFFFFFF
        self.last_sr_time = time.time()
        if rtp_timestamp is not None:  # the publisher's clock pairing, for the recorder's A/V alignment
            self.last_sr = (ntp_to_unix(ntp_timestamp), rtp_timestamp)

    def receiver_report(self) -> bytes | None:
        if self.ssrc is None or self.stats.base_seq is None:
            return None
        dlsr = int((time.time() - self.last_sr_time) * 65536) if self.last_sr_ntp_mid else 0
        return bytes(RtcpRrPacket(ssrc=self.rtcp_ssrc,
                                  reports=[self.stats.report(self.ssrc, self.last_sr_ntp_mid, dlsr)]))


class Upstream(Protocol):
    """Where a `RemoteUpTrack` sends what its sinks ask of the publisher on the owner worker
    (its room, which passes the request over the mesh)."""

    def keyframe_request(self, track: RemoteUpTrack, background: bool = False) -> None: ...

    def nack_request(self, track: RemoteUpTrack, sequence_numbers: list[int]) -> None: ...


class RemoteUpTrack(UpTrackBase):
    """A track whose publisher is on another worker (`owner`), fed over the mesh."""

    def __init__(self, *, track_id: str, participant_id: str, kind: str, layer: str, codec: str,
                 clock_rate: int, owner: int, number: int, upstream: Upstream) -> None:
        super().__init__(track_id=track_id, participant_id=participant_id, kind=kind, layer=layer, codec=codec,
                         clock_rate=clock_rate)
        self.owner = owner
        self.number = number  # the track's number on the owner's mesh feed
        self._upstream = upstream
        self._keyframe_asked: bool | None = None  # None: nothing asked; else whether only the recorder asked

    def request_keyframe(self, background: bool = False) -> None:
        # Deferred, so that the "want" this worker announces in the same rebind reaches the
        # owner first (a keyframe sent before the owner forwards the track would be lost), and
        # sent once for all the sinks that ask in the same loop iteration (a live request if
        # any of them is live). The owner's `KeyframeRequestLimiter` merges the rest.
        if not self._video:
            return
        if self._keyframe_asked is None:
            self._keyframe_asked = background
            asyncio.get_running_loop().call_soon(self._ask_keyframe)
        elif not background:
            self._keyframe_asked = False

    def _ask_keyframe(self) -> None:
        background = bool(self._keyframe_asked)
        self._keyframe_asked = None
        self._upstream.keyframe_request(self, background)

    def nack(self, sequence_numbers: list[int]) -> None:
        self._upstream.nack_request(self, sequence_numbers)
