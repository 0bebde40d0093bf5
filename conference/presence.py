"""When a participant was last known to be in the meeting, so the attendance record shows an
outage from when it began rather than from when the server noticed it.

A connection whose media worker dies, whose media path stops delivering packets, or whose
socket goes silent (a cut network) is not closed at once: the client notices after a few
seconds and rejoins, or the server notices when a new join takes the identity over. By then
the participant has been gone for a while; the interval must end when they were last seen."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

# Browsers ping every 3 s and the endpoint agent every 2 s: two missed browser pings mean the
# socket, not the person, is what is still there.
SILENT_SECONDS = 6.0


@dataclass
class Presence:
    heard: float = field(default_factory=time.time)  # wall clock: the last message on the socket
    media_lost: float | None = None  # the media session is gone: its worker died, or it failed/closed
    stalled: float | None = None  # the last stats sample at which its packets still arrived, while they do not
    # How the socket ended: without a close handshake, or found silent and replaced by a new join.
    abnormal_close: bool = False
    taken_over: bool = False
    _packets: int | None = None
    _flowing: float | None = None

    def hear(self) -> None:
        self.heard = time.time()

    def lose_media(self, at: float) -> None:
        if self.media_lost is None:
            self.media_lost = at

    def sample(self, packets_in: int, at: float) -> None:
        """A stats sample of the datagrams (RTP and RTCP) received from the participant; the worker
        counts them per media session, cumulatively."""
        if packets_in > (self._packets or 0):
            self._flowing, self.stalled = at, None
        elif self._flowing is not None and self.stalled is None:  # media that never flowed never stalls
            self.stalled = self._flowing
        self._packets = packets_in

    def new_media_session(self) -> None:
        """A (re)negotiated session: its counters start from zero and its media flows again."""
        self.media_lost = self.stalled = self._packets = self._flowing = None

    def present_until(self, now: float) -> float:
        """The end of the interval of a participant who disconnected now. A socket that closed
        without a close handshake after a silence, or one a new join takes over (it was found
        silent), was last known alive when it last spoke."""
        moments = [now]
        if self.media_lost is not None:
            moments.append(self.media_lost)
        if self.stalled is not None:
            moments.append(self.stalled)
        if self.taken_over or (self.abnormal_close and now - self.heard > SILENT_SECONDS):
            moments.append(self.heard)
        return min(moments)
