"""The loop-lag figures a worker reports: the distribution of its timers' lags since the last
report, and how long its loop's thread waited for a CPU."""

from __future__ import annotations

import sys

import pytest

from conference.media.looplag import KEPT_RUNS, LoopLag, runqueue_wait_seconds


def test_a_report_gives_the_lags_distribution_since_the_last_report() -> None:
    lag = LoopLag()
    assert lag.take() == (0.0, 0.0, 0.0)  # no timer ran yet
    for ms in range(1, 101):  # 1 ms to 100 ms late
        lag.add(ms / 1000)
    lag.add(-0.0005)  # a timer that ran early counts as on time
    p50, p99, worst = lag.take()
    assert 49 <= p50 <= 51 and 98 <= p99 <= 100 and worst == 100.0
    lag.add(0.002)
    assert lag.take() == (2.0, 2.0, 2.0)  # the next report starts over


def test_a_worker_nobody_asks_keeps_a_bounded_number_of_runs_and_the_exact_worst() -> None:
    lag = LoopLag()
    lag.add(0.9)
    for _ in range(KEPT_RUNS + 10):
        lag.add(0.001)
    p50, p99, worst = lag.take()
    assert (p50, p99, worst) == (1.0, 1.0, 900.0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the kernel's per-thread scheduler statistics")
def test_the_wait_for_a_cpu_only_grows() -> None:
    first = runqueue_wait_seconds()
    assert first is not None and first >= 0
    sum(range(200_000))  # some work between two readings
    second = runqueue_wait_seconds()
    assert second is not None and second >= first
