"""The conference area's part of the web process's life: nobody is connected to a web process that
has just started, so attendance intervals a previous process left open (it was killed) are closed;
on shutdown every meeting socket is detached (its interval closed) and told to reconnect (1012)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import anyio
from fastapi import FastAPI

from core.db import session_scope

from .journal import close_stale

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    factory = app.state.write_sessionmaker

    def close_left_open() -> int:
        with session_scope(factory) as session:
            return close_stale(session, at=datetime.now(UTC))

    closed = await anyio.to_thread.run_sync(close_left_open)
    if closed:
        log.warning("closed %d attendance intervals left open by the previous web process", closed)
    yield
    hub = getattr(app.state, "conference_hub", None)
    if hub is not None and hub.loop is asyncio.get_running_loop():
        await hub.shutdown()
