"""What a `DownTrack` does with each packet of its source, decided without any I/O (after
LiveKit's forwarder): drop it, or send it under which sequence number and timestamp; when to
ask the source for a keyframe; which upstream packets a subscriber's NACK refers to.

One outgoing RTP stream must stay continuous while its source changes. Each source is mapped
with fixed offsets (so losses stay visible and NACKs can be answered); a switch to a new source
("rebase") continues the sequence numbers from the last one sent and advances the timestamp by
the wall time since, so the receiver's playout clock keeps running at the right speed. Video
after a switch is dropped until the new source's next keyframe starts, which is requested at
once and again every `KEYFRAME_RETRY` seconds while it has not come (the first may be lost).

All times are `time.monotonic()` values passed in by the caller, so the decisions can be tested
with any clock.
"""

from __future__ import annotations

import random
from collections import deque

KEYFRAME_RETRY = 0.6


class Forwarder:
    __slots__ = ("_video", "_clock_rate", "_seq_offset", "_ts_offset", "_base_in_seq", "_last_seq", "_last_ts",
                 "_last_time", "_rebase", "_waiting_keyframe", "_switched_at", "_last_request", "switches",
                 "switch_delays")

    def __init__(self, kind: str, clock_rate: int, first_sequence_number: int | None = None,
                 first_timestamp: int | None = None) -> None:
        self._video = kind == "video"
        self._clock_rate = clock_rate
        self._seq_offset = 0
        self._ts_offset = 0
        self._base_in_seq = 0
        # What was sent last; a random start, as RFC 3550 asks.
        self._last_seq = (random.randrange(0x8000) if first_sequence_number is None
                          else (first_sequence_number - 1) & 0xFFFF)
        self._last_ts = (random.randrange(0x100000000) if first_timestamp is None
                         else (first_timestamp - 1) & 0xFFFFFFFF)
        self._last_time: float | None = None
        self._rebase = True
        self._waiting_keyframe = False
        self._switched_at = 0.0
        self._last_request = 0.0
        self.switches = 0
        self.switch_delays: deque[float] = deque(maxlen=200)  # seconds from a switch to its first packet

    # -- the source changes -----------------------------------------------------------------------

    def bind(self, now: float) -> bool:
        """A new source is bound. True when the caller must ask it for a keyframe now (video)."""
        self._rebase = True
        self.switches += 1
        self._switched_at = self._last_request = now
        self._waiting_keyframe = self._video
        return self._video

    def unbind(self) -> None:
        """No source: the next one bound starts with a rebase."""
        self._rebase = True
        self._waiting_keyframe = False

    # -- each packet --------------------------------------------------------------------------------

    def translate(self, sequence_number: int, timestamp: int, keyframe: bool,
                  now: float) -> tuple[int, int] | None:
        """The outgoing (sequence number, timestamp) of a packet of the bound source, or None
        to drop it: video before the first keyframe after a switch, or a packet older than the
        switch point (its number would reuse one already sent)."""
        if self._rebase:
            if self._waiting_keyframe and not keyframe:
                return None
            self._waiting_keyframe = False
            self._rebase_on(sequence_number, timestamp, now)
        else:
            # `seq_newer` written out (this runs once per packet and DownTrack): how far the
            # packet is past the switch point, modulo 2^16.
            ahead = (sequence_number - self._base_in_seq) & 0xFFFF
            if ahead > 0x8000:  # older than the switch point
                return None
            if ahead > 0x4000:
                # Let the switch point trail the source, or after half the sequence space the
                # comparison above would see every new packet as older.
                self._base_in_seq = (sequence_number - 0x4000) & 0xFFFF
        seq = (sequence_number + self._seq_offset) & 0xFFFF
        ts = (timestamp + self._ts_offset) & 0xFFFFFFFF
        if 0 < ((seq - self._last_seq) & 0xFFFF) < 0x8000:  # newer than the last one sent
            self._last_seq = seq
            self._last_ts = ts
            self._last_time = now
        return seq, ts

    def _rebase_on(self, sequence_number: int, timestamp: int, now: float) -> None:
        self._seq_offset = (self._last_seq + 1 - sequence_number) & 0xFFFF
        step = 1 if self._last_time is None else max(1, int((now - self._last_time) * self._clock_rate))
        self._ts_offset = (self._last_ts + step - timestamp) & 0xFFFFFFFF
        self._base_in_seq = sequence_number
        self._rebase = False
        if self._video and self.switches:
            self.switch_delays.append(now - self._switched_at)

    # -- timers and feedback ----------------------------------------------------------------------

    def keyframe_due(self, now: float) -> bool:
        """True when the caller must ask again for the keyframe the DownTrack still waits for."""
        if self._waiting_keyframe and now - self._last_request >= KEYFRAME_RETRY:
            self._last_request = now
            return True
        return False

    @property
    def waiting_keyframe(self) -> bool:
        return self._waiting_keyframe

    def upstream(self, sequence_numbers: list[int]) -> list[int]:
        """The source's numbers of these sent packets; none while the DownTrack waits for its first
        packet after a switch (the mapping is not known yet)."""
        if self._rebase:
            return []
        return [(seq - self._seq_offset) & 0xFFFF for seq in sequence_numbers]

    def rtp_timestamp_at(self, now: float) -> int | None:
        """The DownTrack's RTP clock at `now` (for a sender report); None before anything was sent."""
        if self._last_time is None:
            return None
        return (self._last_ts + int((now - self._last_time) * self._clock_rate)) & 0xFFFFFFFF
