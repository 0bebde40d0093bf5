"""Camera ownership rounds: every camera held by exactly one live node, balanced, handed over when one dies."""

from __future__ import annotations

import asyncio

from core.leases import InProcessLeases
from ops_center.ownership import CameraOwnership, preferred_node

CAMERAS = [str(i) for i in range(40)]


async def _round(*nodes: CameraOwnership) -> list[dict]:
    # Two passes: a node sees the others' node leases from its second round on.
    for _ in range(2):
        held = [await n.balance(CAMERAS) for n in nodes]
    return held


async def test_each_camera_has_one_owner_and_the_load_is_shared() -> None:
    store = InProcessLeases()
    a, b, c = (CameraOwnership(store, name, ttl_s=3) for name in ("a", "b", "c"))
    held = await _round(a, b, c)
    owners = [set(h) for h in held]
    assert set().union(*owners) == set(CAMERAS)
    assert sum(len(o) for o in owners) == len(CAMERAS)  # nobody twice
    assert all(6 <= len(o) <= 20 for o in owners), [len(o) for o in owners]
    for cid in CAMERAS:
        assert cid in held[["a", "b", "c"].index(preferred_node(cid, ["a", "b", "c"]))]


async def test_a_dead_node_cameras_go_to_the_survivors_after_the_lease_time() -> None:
    store = InProcessLeases()
    a, b = CameraOwnership(store, "a", ttl_s=0.6), CameraOwnership(store, "b", ttl_s=0.6)
    held_a, held_b = await _round(a, b)
    assert held_a and held_b
    tokens = {cid: lease.token for cid, lease in held_a.items()}
    # a dies: no more rounds from it. b keeps going; a's leases run out and b takes them, with new tokens.
    for _ in range(8):
        await asyncio.sleep(0.2)
        now_b = await b.balance(CAMERAS)
    assert set(now_b) == set(CAMERAS)
    assert all(now_b[cid].token > tokens[cid] for cid in tokens)


async def test_a_late_renewal_keeps_the_camera_when_nobody_took_it() -> None:
    store = InProcessLeases()
    a = CameraOwnership(store, "a", ttl_s=0.3)
    first = await a.balance(CAMERAS)
    await asyncio.sleep(0.45)  # the host was frozen past the lease time
    again = await a.balance(CAMERAS)
    assert set(again) == set(first) == set(CAMERAS)


async def test_a_joining_node_takes_its_share() -> None:
    store = InProcessLeases()
    a = CameraOwnership(store, "a", ttl_s=3)
    assert len(await a.balance(CAMERAS)) == len(CAMERAS)
    b = CameraOwnership(store, "b", ttl_s=3)
    held_a, held_b = await _round(a, b)
    held_a, held_b = await _round(a, b)
    assert set(held_a).isdisjoint(held_b) and set(held_a) | set(held_b) == set(CAMERAS)
    assert held_b and len(held_a) < len(CAMERAS)
