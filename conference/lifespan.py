"""The conference area's part of the web process's life. With one web process (the live state in
its memory) nobody is connected to a web process that has just started, so attendance intervals a
previous process left open (it was killed) are closed; on shutdown every meeting socket is
detached (its interval closed) and told to reconnect (1012).

With several web processes sharing the live state (Redis) the others' participants are in the
meetings: intervals are closed only by the sweep of seats whose process is gone (`Hub.sweep`),
and the hub starts at once, so that this process keeps the state up even before its first socket
(a meeting ended through the API reaches every process's sockets)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio
from fastapi import FastAPI

from core.db import session_scope

from .hub import hub_of_app
from .journal import close_stale

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    factory = app.state.write_sessionmaker

    def close_left_open() -> int:
        with session_scope(factory) as session:
            return close_stale(session, at=datetime.now(UTC))

    if app.state.settings.live_state_url:
        await hub_of_app(app).started()
    else:
        closed = await anyio.to_thread.run_sync(close_left_open)
        if closed:
            log.warning("closed %d attendance intervals left open by the previous web process", closed)
    yield
    hub = getattr(app.state, "conference_hub", None)
    if hub is not None and hub.loop is asyncio.get_running_loop():
        await hub.shutdown()
