"""The endpoint's view of its link, sampled from aiortc's statistics: bitrate out and in, loss
reported back by the SFU's receiver reports, round-trip time, and whether anything arrives at all
(the SFU sends RTCP every second even when no media is routed to us, so silence means a dead link)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import psutil
from aiortc import RTCPeerConnection

_process = psutil.Process()
_process.cpu_percent(None)


def process_cpu_percent() -> float:
    """CPU of this process since the previous call (fleet processes share it among their endpoints)."""
    return round(_process.cpu_percent(None), 1)


@dataclass
class LinkSample:
    at: float
    bytes_sent: int
    bytes_received: int
    packets_received: int


@dataclass
class LinkMonitor:
    previous: LinkSample | None = None
    last_arrival: float = field(default_factory=time.monotonic)
    figures: dict[str, Any] = field(default_factory=dict)

    async def sample(self, pc: RTCPeerConnection) -> dict[str, Any]:
        report = await pc.getStats()
        sent = received = packets_in = lost = expected = 0  # one bundled transport: counted once
        rtts: list[float] = []
        fraction_lost: list[float] = []
        transport_packets = 0
        for stats in report.values():
            kind = getattr(stats, "type", "")
            if kind == "outbound-rtp":
                sent += stats.bytesSent
            elif kind == "inbound-rtp":
                packets_in += stats.packetsReceived
                lost += max(0, stats.packetsLost)
                expected += stats.packetsReceived + max(0, stats.packetsLost)
            elif kind == "remote-inbound-rtp":
                if stats.roundTripTime is not None:
                    rtts.append(stats.roundTripTime)
                fraction_lost.append(stats.fractionLost)
            elif kind == "transport":
                transport_packets += stats.packetsReceived
                received += stats.bytesReceived
        now = time.monotonic()
        current = LinkSample(now, sent, received, transport_packets)
        if self.previous is None or current.packets_received != self.previous.packets_received:
            self.last_arrival = now
        out_kbps = in_kbps = 0.0
        if self.previous is not None and now > self.previous.at:
            span = now - self.previous.at
            out_kbps = max(0, sent - self.previous.bytes_sent) * 8 / span / 1000
            in_kbps = max(0, received - self.previous.bytes_received) * 8 / span / 1000
        self.previous = current
        self.figures = {
            "bitrate_out_kbps": round(out_kbps, 1),
            "bitrate_in_kbps": round(in_kbps, 1),
            # What the SFU says it lost of ours (RR fraction lost, 0-255) and what we lost of its streams.
            "loss_out_pct": round(100 * max(fraction_lost, default=0) / 256, 2),
            "loss_in_pct": round(100 * lost / expected, 2) if expected else 0.0,
            "rtt_ms": round(1000 * sum(rtts) / len(rtts), 1) if rtts else None,
        }
        return self.figures

    def silent_for(self) -> float:
        return time.monotonic() - self.last_arrival
