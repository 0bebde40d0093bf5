"""The SFU bench's load clients send like independent cameras: every publisher at the clip's
frame rate on a phase of its own, audio every 20 ms, and a late publisher drops frames rather
than bursting them. The send schedule is driven here with a clock of the test's own."""

from __future__ import annotations

from collections import Counter

from conference.media.bench.clients import AUDIO, VIDEO, SendSchedule, SpeakerSchedule
from conference.media.bench.clip import FPS

T0 = 1_000_000.0


def _run(schedule: SendSchedule, until: float) -> tuple[Counter, Counter, dict[int, float]]:
    """Wake whenever the schedule says something is due, as the client loop does, up to `until`:
    frames and audio packets sent per peer and each peer's first frame time."""
    frames, audio, first = Counter(), Counter(), {}
    now = T0
    while now < until:
        due = schedule.due(now)
        for i, kind, count in due:
            if kind == VIDEO:
                frames[i] += count
                first.setdefault(i, now)
            else:
                audio[i] += count
        now = schedule.next_due(until)
    return frames, audio, first


def test_every_publisher_sends_the_clips_frame_rate_on_its_own_phase() -> None:
    peers = 68
    publishers = [i for i in range(peers) if i % 17]  # the others observe: they publish nothing
    frames, audio, first = _run(SendSchedule(T0, publishers, peers), T0 + 10 - 1e-6)
    assert set(frames) == set(audio) == set(publishers)
    assert set(frames.values()) == {FPS * 10}
    assert set(audio.values()) == {50 * 10}
    # Each publisher starts within the first frame interval, no two at the same moment.
    assert len(set(first.values())) == len(publishers)
    assert all(T0 <= t < T0 + 1 / FPS for t in first.values())


def test_a_late_publisher_sends_two_catch_up_frames_then_drops_frames() -> None:
    schedule = SendSchedule(T0, [0], 1)
    assert schedule.due(T0) == [(0, VIDEO, 1), (0, AUDIO, 1)]
    # The loop was held up for half a second: two frames, not fifteen; every audio packet
    # (due every 20 ms up to 0.5 s).
    late = T0 + 0.51
    sent = {kind: count for _, kind, count in schedule.due(late)}
    assert sent[VIDEO] == 2
    assert sent[AUDIO] == 25
    # Then the frame clock restarts from there at the clip's rate.
    frames, _, first = _run(schedule, late + 1 - 0.001)
    assert first[0] == late + 1 / FPS
    assert frames[0] == FPS - 1


def test_the_floor_passes_by_the_script() -> None:
    speakers = SpeakerSchedule(T0, [(1.0, "dc-01"), (6.0, "dc-02"), (11.0, "dc-03")])
    assert speakers.at(T0 + 0.5) is None
    assert speakers.at(T0 + 1.0) == "dc-01"
    assert speakers.at(T0 + 5.9) == "dc-01"
    assert speakers.at(T0 + 12.0) == "dc-03"  # a late wake-up skips a whole turn
