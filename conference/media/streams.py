"""The two sides of a forwarded packet, as protocols: a `Source` (an `UpTrack`, or a
`RemoteUpTrack` fed over the mesh) hands each packet to the `Sink`s bound to it (`DownTrack`s,
the `MeshFeed` carrying it to other workers, and later a recorder). `uptrack.py` and
`downtrack.py` know each other only through these.

A sink is added to a source with `source.add_sink(sink)` and removed with `remove_sink`; a
`DownTrack` does this itself when its room binds it to another source (`DownTrack.bind`).
"""

from __future__ import annotations

from typing import Protocol

from .rtp import RtpView


class Sink(Protocol):
    """Where a source's packets go. `forward` runs on the hot path, once per packet and sink."""

    def forward(self, packet: RtpView, now: float, send_time: bytes) -> None:
        """`packet` carries `audio_level`, `capture_time` and `keyframe`; `now` is
        `time.monotonic()` and `send_time` the 24-bit abs-send-time of this dispatch, taken once
        for all sinks. The packet is shared: a sink must not change it (a DownTrack only fills
        `vp8`, the VP8 descriptor it reads once for all DownTracks)."""


class Source(Protocol):
    """A published track, as those who receive it see it."""

    track_id: str  # "<participant>/<layer>"
    participant_id: str
    kind: str  # "audio" or "video"
    layer: str  # "audio", "high" or "low"
    codec: str
    clock_rate: int
    last_packet_at: float  # time.monotonic() of its last packet

    def flowing(self, now: float) -> bool:
        """Whether its publisher sends it now (a paused layer sends nothing)."""

    def add_sink(self, sink: Sink) -> None: ...

    def remove_sink(self, sink: Sink) -> None: ...

    def request_keyframe(self, background: bool = False) -> None:
        """Ask the publisher for a keyframe (merged with others' requests: `keyframes.py`);
        `background`: for the recorder, never ahead of or in the way of a live request."""

    def nack(self, sequence_numbers: list[int]) -> None:
        """Ask the publisher to resend these packets (in the publisher's numbering) if the relay
        never got them."""
