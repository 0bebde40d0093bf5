"""The live state's two stores behave alike (actions applied once, changes told with them, seats
claimed by one socket); the Redis store shares them between web processes, on the real Redis at
127.0.0.1:6379 under a key prefix of the test's own, and on a Redis server of the test's own when
it is stopped and started again."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from conference.livestate import InProcessLiveState, LiveStateUnavailable, Seat, new_token
from conference.livestate_redis import PROCESS_TTL_SECONDS, RedisLiveState
from core.protocols import signaling as p
from tests.conference.conftest import REDIS
from tests.conference.conftest import redis_up as _redis_up
from tests.conftest import free_port

needs_redis = pytest.mark.skipif(not _redis_up(), reason="needs Redis at 127.0.0.1:6379")


def seat(pid: str, owner: str, **extra: Any) -> Seat:
    return Seat(pid, f"Điểm cầu {pid}", "district", "29", "Vinh", 7, 3, owner=owner, token=new_token(),
                since=time.time(), **extra)


class Heard:
    """What a web process's sockets of each meeting were sent."""

    def __init__(self) -> None:
        self.changes: list[tuple[int, list[dict[str, Any]], str | None, list[list[Any]]]] = []

    def __call__(self, meeting: int, texts: list[str], skip: str | None, effects: list[list[Any]]) -> None:
        self.changes.append((meeting, [json.loads(t) for t in texts], skip, effects))

    def types(self) -> list[str]:
        return [m["type"] for _, messages, _, _ in self.changes for m in messages]

    async def wait_for(self, count: int, seconds: float = 5) -> None:
        deadline = time.monotonic() + seconds
        while len(self.changes) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.02)


async def _redis_pair(namespace: str) -> AsyncIterator[tuple[RedisLiveState, RedisLiveState, Heard, Heard]]:
    a, b = RedisLiveState(REDIS, namespace), RedisLiveState(REDIS, namespace)
    heard_a, heard_b = Heard(), Heard()
    a.listen(heard_a)
    b.listen(heard_b)
    await a.start()
    await b.start()
    try:
        yield a, b, heard_a, heard_b
    finally:
        await a.close()
        await b.close()


@pytest.mark.parametrize("store", ["in-process", "redis"])
async def test_an_action_is_applied_once_with_its_messages(store: str, namespace: str) -> None:
    if store == "redis" and not _redis_up():
        pytest.skip("needs Redis")
    states = [InProcessLiveState()] if store == "in-process" else [RedisLiveState(REDIS, namespace) for _ in range(2)]
    heard = [Heard() for _ in states]
    for state, h in zip(states, heard, strict=True):
        state.listen(h)
        await state.start()
    try:
        first = states[0]
        assert await first.claim(11, seat("dc-vinh", first.process), silent_after=8) is not None
        mute = p.Muted(participant="dc-vinh", muted=True, by="chutoa")
        # The same host action arriving ten times at once, on every process: applied once.
        outcomes = await asyncio.gather(*(states[i % len(states)].apply(11, [mute], action="11:chutoa:mute:r1",
                                                                         requires=["seat:dc-vinh"])
                                          for i in range(10)))
        assert sorted(outcomes) == ["applied"] + ["duplicate"] * 9
        state = await states[-1].state(11)
        assert state.muted == {"dc-vinh"}
        assert state.info("dc-vinh").muted is True
        for h in heard:  # every process's sockets are told, once
            await h.wait_for(1)
            assert h.types() == ["muted"]
        # A control on someone who is not in: refused, nothing told.
        assert await first.apply(11, [p.Muted(participant="dc-cualo", muted=True, by="chutoa")],
                                 action="11:chutoa:mute:r2", requires=["seat:dc-cualo"]) == "missing"
        assert (await first.state(11)).muted == {"dc-vinh"}
        # A decision on a read is applied only while what it read is still so, on any process.
        spot = p.SpotlightChanged(participant="dc-vinh", by="chutoa")
        assert await states[-1].apply(11, [spot], expect={"spotlight": None}) == "applied"
        assert await first.apply(11, [spot], expect={"spotlight": None}) == "missing"
        assert await first.apply(11, [spot], expect={"spotlight": "dc-vinh"}) == "applied"
    finally:
        for state in states:
            await state.close()


@needs_redis
async def test_changes_reach_every_web_process_and_skip_the_one_socket(namespace: str) -> None:
    async for a, b, heard_a, heard_b in _redis_pair(namespace):
        await a.claim(5, seat("dc-vinh", a.process), silent_after=8)
        await b.apply(5, [p.HandRaised(participant="dc-vinh", raised=True)], skip="dc-vinh")
        await a.apply(5, [p.SpotlightChanged(participant="dc-vinh", by="chutoa")], effects=[["removed", "x"]])
        await heard_a.wait_for(2)
        await heard_b.wait_for(2)
        for heard in (heard_a, heard_b):  # the same changes, in the same order, on both processes
            assert heard.types() == ["hand_raised", "spotlight"]
            assert heard.changes[0][2] == "dc-vinh" and heard.changes[1][3] == [["removed", "x"]]
        state = await b.state(5)
        assert state.raised_order() == ["dc-vinh"] and state.spotlight == "dc-vinh"


@needs_redis
async def test_a_seat_is_held_by_one_live_socket_and_expires_with_its_process(namespace: str) -> None:
    async for a, b, _, _ in _redis_pair(namespace):
        mine = seat("dc-vinh", a.process, attendance_id=41)
        assert (await a.claim(9, mine, silent_after=8)).outcome == "claimed"
        await a.heartbeat([(9, mine, time.time())])
        # Another process, while the owner is alive and its socket was just heard: refused.
        assert (await b.claim(9, seat("dc-vinh", b.process), silent_after=8)).outcome == "duplicate"
        # The owner is killed: it stops renewing; its ownership expires with its key.
        assert await b.owner_alive(a.process)
        await asyncio.sleep(PROCESS_TTL_SECONDS + 0.5)
        assert not await b.owner_alive(a.process)
        claim = await b.claim(9, seat("dc-vinh", b.process), silent_after=8)
        assert claim.outcome == "took_over" and not claim.owner_alive
        assert claim.old is not None and claim.old.attendance_id == 41 and claim.heard is not None
        # The seat is the new socket's: the old one's token no longer frees it.
        assert await a.apply(9, [p.ParticipantLeft(participant="dc-vinh", reason="disconnected")],
                             guard=("dc-vinh", mine.token)) == "missing"
        assert (await b.state(9)).seat("dc-vinh").owner == b.process


@needs_redis
async def test_a_silent_socket_on_a_live_process_is_taken_over(namespace: str) -> None:
    async for a, b, _, _ in _redis_pair(namespace):
        mine = seat("dc-vinh", a.process)
        await a.claim(9, mine, silent_after=8)
        await a.heartbeat([(9, mine, time.time() - 20)])  # alive, but that socket was last heard 20 s ago
        claim = await b.claim(9, seat("dc-vinh", b.process), silent_after=8)
        assert claim.outcome == "took_over" and claim.owner_alive  # its process must close the old socket


async def test_an_unreachable_redis_is_reported_not_crashed() -> None:
    state = RedisLiveState(f"redis://127.0.0.1:{free_port()}/0")
    try:
        with pytest.raises(LiveStateUnavailable, match="Redis at redis://127.0.0.1"):
            await state.state(1)
        with pytest.raises(LiveStateUnavailable):
            await state.apply(1, [p.HandRaised(participant="x", raised=True)])
        with pytest.raises(LiveStateUnavailable):
            await state.claim(1, seat("x", state.process), silent_after=8)
    finally:
        await state.close()


async def test_redis_restarted_empty_gets_the_seats_of_connected_sockets_back(own_redis: tuple[int, Any]) -> None:
    port, (start, stop) = own_redis
    state = RedisLiveState(f"redis://127.0.0.1:{port}/0")
    heard = Heard()
    state.listen(heard)
    await state.start()
    try:
        mine = seat("dc-vinh", state.process, attendance_id=5)
        await state.claim(3, mine, silent_after=8)
        assert await state.heartbeat([(3, mine, time.time())]) == 0
        stop()
        with pytest.raises(LiveStateUnavailable):  # while it is down: a clear refusal
            await state.heartbeat([(3, mine, time.time())])
        start()
        assert await state.heartbeat([(3, mine, time.time())]) == 1  # the state was lost: the seat is back
        assert (await state.state(3)).seat("dc-vinh") == mine
        assert await state.heartbeat([(3, mine, time.time())]) == 0
        # The change channel is subscribed again: changes are told again.
        await asyncio.wait_for(state.subscribed.wait(), timeout=10)
        await state.apply(3, [p.HandRaised(participant="dc-vinh", raised=True)])
        await heard.wait_for(1)
        assert heard.types() == ["hand_raised"]
    finally:
        await state.close()
