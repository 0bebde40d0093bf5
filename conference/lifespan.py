"""The conference area's part of the web process's life. With one web process (the live state in
its memory) nobody is connected to a web process that has just started, so attendance intervals a
previous process left open (it was killed) are closed; on shutdown every meeting socket is
detached (its interval closed) and told to reconnect (1012).

With several web processes sharing the live state (Redis) the others' participants are in the
meetings: intervals are closed only by the sweep of seats whose process is gone (`upkeep.py`), and
the hub starts at once, so that this process keeps the state up even before its first socket (a
meeting ended through the API reaches every process's sockets)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio
from fastapi import FastAPI

from core.db import session_scope

from .archive.live import seal_left_over
from .hub import hub_of_app
from .journal import close_stale

log = logging.getLogger(__name__)


def _report_left_over(task: asyncio.Future) -> None:
    if task.cancelled():
        return
    if task.exception() is not None:
        log.error("sealing archives left unsealed failed: %s", task.exception())
    elif task.result():
        log.warning("sealed the archives of meetings %s, left unsealed by the previous web process", task.result())


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
    # Archives a previous process ended but did not seal, sealed in the background.
    leftover = asyncio.ensure_future(anyio.to_thread.run_sync(
        seal_left_over, app.state.sessionmaker, factory, app.state.settings))
    leftover.add_done_callback(_report_left_over)
    yield
    hub = getattr(app.state, "conference_hub", None)
    if hub is not None and hub.loop is asyncio.get_running_loop():
        await hub.shutdown()
