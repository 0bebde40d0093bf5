"""The documents area's work in the web process: the file inspection workers are started with the app."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from documents import inspection


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    task = asyncio.create_task(inspection.warm_up())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
