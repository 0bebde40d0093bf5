"""What the web layer connects once, since areas do not import each other: the conference's meeting
records as the source of drafts, and drafting when a meeting ends (a task following the event bus for
the life of the app). In web/app.py: `connect_app(app, conference.record.meeting_record)`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from core.bus import get_bus
from documents.minutes import record_source
from documents.minutes.auto_draft import follow_meetings


def connect_app(app: Any, record_provider: record_source.RecordProvider) -> None:
    """`app` is the FastAPI app (with `state.write_sessionmaker`), `record_provider(session, meeting_id)`
    returns the meeting's record."""
    record_source.connect(record_provider)
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(application: Any) -> AsyncIterator[Any]:
        async with inner(application) as state:
            ready = asyncio.Event()
            task = asyncio.create_task(follow_meetings(get_bus(), application.state.write_sessionmaker, ready))
            await ready.wait()
            try:
                yield state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan
