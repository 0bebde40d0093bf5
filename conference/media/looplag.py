"""How late a worker's event loop runs its timers, and why.

A worker's 100 ms timer running late means packets waited as long in socket buffers. The lag has
two causes that call for different remedies: the loop was busy with its own work (a long
callback, a garbage collection), or the loop's thread was ready to run but waited for a CPU (other
processes on the host). `LoopLag` keeps the lag of each timer run since the last report (so a
report gives its distribution, not only its maximum), and the time the loop's thread spent
waiting for a CPU, which Linux counts per thread in /proc/thread-self/schedstat.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

_SCHEDSTAT = Path("/proc/thread-self/schedstat")
# The distribution is of the last this many runs at most (about 10 minutes of a worker's timers):
# nothing may grow in a worker whose figures nobody asks for.
KEPT_RUNS = 6000


def runqueue_wait_seconds() -> float | None:
    """How long the calling thread has been ready to run without a CPU since it started (None
    where the kernel does not say: not Linux, or scheduler statistics not built in)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return None


class LoopLag:
    """The lag of each run of a periodic timer, since the last `take`."""

    def __init__(self) -> None:
        self._lags: deque[float] = deque(maxlen=KEPT_RUNS)
        self._max = 0.0

    def add(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self._lags.append(seconds)
        self._max = max(self._max, seconds)

    def take(self) -> tuple[float, float, float]:
        """p50, p99 (of the last KEPT_RUNS runs at most) and max of the lags since the last call,
        in ms (zeros without a run); starts over."""
        lags, worst = sorted(self._lags), self._max
        self._lags.clear()
        self._max = 0.0
        if not lags:
            return 0.0, 0.0, 0.0
        last = len(lags) - 1
        p50, p99 = (round(lags[min(last, round(q * last))] * 1000, 1) for q in (0.5, 0.99))
        return p50, p99, round(worst * 1000, 1)
