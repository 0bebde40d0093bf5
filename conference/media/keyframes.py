"""Rate limiting of keyframe requests sent toward a publisher.

Every subscriber that loses a picture, and every switch to a new source, asks for a keyframe;
passing each one on would make the publisher spend its bitrate on keyframes, so requests for
one source are merged:
- while a request is outstanding (sent, no keyframe since), later ones wait for the keyframe it
  brings, which serves them too; it is asked again only if none has come after `interval`;
- once a keyframe has arrived, a new request goes out `min_gap` after the previous one at the
  earliest. A subscriber switching just after a keyframe therefore waits at most `min_gap` plus
  the publisher's answer, not a whole `interval` (the speaker-switch figure's worst case).
Under a storm of requests the publisher sends at most one keyframe per `min_gap` plus its own
answer time.

The recorder's requests (a recording segment starts, or lost a frame) are *background*: they
never delay a live one, and the live path never waits on them. A background request
- is served by any keyframe (a live switch's included: the program recording switching with the
  chair's view reuses the keyframe the live DownTracks asked for);
- is not sent at once but from the next `poll()` (the room's 100 ms tick), so a live request
  made in the same moment goes first and the background one is served by its keyframe;
- then goes out when `background_gap` has passed since the last request of either kind (or,
  while one is outstanding, `interval`: the request or its answer was lost);
- and does not count for the live path's `min_gap` / `interval`: a live request right after a
  background one is sent at once, as it would be without a recorder. (Measured: when the
  recorder's requests shared the live gap, a speaker switch made just after one waited for the
  gap and the next tick, ~0.3-0.4 s instead of ~30 ms.)

Who asks, all ending in the publisher's `UpTrack.request_keyframe`, the one place requests merge:
- a DownTrack bound to a new source (its `Forwarder` says when, and again every 0.6 s while the
  keyframe has not come: `DownTrack.maintain` from the room's 100 ms tick);
- a subscriber's PLI or FIR (`Transport` -> `DownTrack.on_keyframe_request`);
- a worker that starts feeding the track to another worker (`Room.on_want`).
A DownTrack on another worker asks its `RemoteUpTrack`, which sends one `KeyframeRequest` over
the mesh per loop iteration however many asked; the owner's room passes it to the UpTrack. The
room's tick also calls `poll()`, so a request that had to wait goes out when it may.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class KeyframeRequestLimiter:
    """`request()` from subscribers, `keyframe_received()` from the publisher's track, `poll()`
    from a timer: a request that had to wait is not lost, `poll()` sends it when it may."""

    __slots__ = ("_send", "_interval", "_min_gap", "_background_gap", "_clock", "_last_sent", "_pending",
                 "_outstanding", "_background_pending", "_background_outstanding", "_last_background",
                 "sent", "suppressed", "background_sent")

    def __init__(self, send: Callable[[], None], interval: float = 0.5, min_gap: float = 0.3,
                 clock: Callable[[], float] = time.monotonic, background_gap: float = 1.0) -> None:
        self._send = send
        self._interval = interval
        self._min_gap = min_gap
        self._background_gap = background_gap
        self._clock = clock
        self._last_sent: float | None = None  # live requests only
        self._pending = False
        self._outstanding = False
        self._background_pending = False
        self._background_outstanding = False
        self._last_background: float | None = None
        self.sent = 0  # live requests sent
        self.suppressed = 0
        self.background_sent = 0

    def request(self, background: bool = False) -> bool:
        """Ask for a keyframe; True when a request went to the publisher now (never for a
        background request: those go from `poll()`)."""
        if background:
            self._background_pending = True
            return False
        now = self._clock()
        if self._last_sent is None or now - self._last_sent >= self._wait():
            self._fire(now)
            return True
        self._pending = True
        self.suppressed += 1
        return False

    def keyframe_received(self) -> None:
        """A keyframe started: it serves everyone who asked before it."""
        self._outstanding = False
        self._pending = False
        self._background_pending = False
        self._background_outstanding = False

    def poll(self) -> None:
        if self._pending:
            now = self._clock()
            if now - (self._last_sent or 0.0) >= self._wait():
                self._fire(now)
        if self._background_pending and not self._pending:
            # Served by an outstanding request of either kind; asked again, like a live one, when
            # its keyframe has not come after `interval` (the request or its answer was lost).
            now = self._clock()
            last = max(self._last_sent or -1e9, self._last_background or -1e9)
            waiting = self._outstanding or self._background_outstanding
            if now - last >= (self._interval if waiting else self._background_gap):
                self._last_background = now
                self._background_outstanding = True
                self.background_sent += 1
                self._send()

    def _wait(self) -> float:
        return self._interval if self._outstanding else self._min_gap

    def _fire(self, now: float) -> None:
        self._last_sent = now
        self._pending = False
        self._outstanding = True
        self.sent += 1
        self._send()
