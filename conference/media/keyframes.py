"""Rate limiting of keyframe requests sent toward a publisher.

Every subscriber that loses a picture, and every switch to a new source, asks for a keyframe;
passing each one on would make the publisher spend its bitrate on keyframes, so requests for
one source are merged to at most one per interval.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class KeyframeRequestLimiter:
    """Forwards the first request at once, then at most one per `interval` seconds.

    A request arriving inside the interval is not lost: it is remembered and `poll()` (called
    from a timer) sends it once the interval has elapsed, so the last requester still gets its
    keyframe.
    """

    __slots__ = ("_send", "_interval", "_clock", "_last_sent", "_pending", "sent", "suppressed")

    def __init__(self, send: Callable[[], None], interval: float = 0.5,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._send = send
        self._interval = interval
        self._clock = clock
        self._last_sent: float | None = None
        self._pending = False
        self.sent = 0
        self.suppressed = 0

    def request(self) -> bool:
        """Ask for a keyframe; True when a request went to the publisher now."""
        now = self._clock()
        if self._last_sent is None or now - self._last_sent >= self._interval:
            self._fire(now)
            return True
        self._pending = True
        self.suppressed += 1
        return False

    def poll(self) -> None:
        if self._pending:
            now = self._clock()
            if now - (self._last_sent or 0.0) >= self._interval:
                self._fire(now)

    def _fire(self, now: float) -> None:
        self._last_sent = now
        self._pending = False
        self.sent += 1
        self._send()
