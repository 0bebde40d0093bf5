"""Which live-state store a web process uses: ``GIAOBAN_LIVE_STATE_URL`` names Redis, or nothing."""

from __future__ import annotations

from .livestate import InProcessLiveState, LiveState
from .livestate_redis import RedisLiveState


def make_live_state(url: str = "", namespace: str = "giaoban:") -> LiveState:
    """Redis for a ``redis://``/``rediss://``/``unix://`` URL; empty: this process's memory."""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisLiveState(url, namespace)
    if url:
        raise ValueError(f"GIAOBAN_LIVE_STATE_URL: no live-state store for {url!r}; use redis://HOST:PORT/DB "
                         "(several web processes) or leave it empty (one web process)")
    return InProcessLiveState()
