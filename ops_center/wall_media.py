"""The media workers as the camera wall reaches them: the wall room's names, and the control
channel handed over by the composition root (the operations center does not import conference;
`web/wiring.py` provides `conference.media.client.MediaClient`, which has what `WallMedia` asks).

Both the web process (browsers' wall sessions) and the ingest process (cameras publishing) use
it; each connects on first use and again after the channel failed.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

WALL_ROOM = "ops-wall"


def camera_participant(camera_id: str | int) -> str:
    return f"camera-{camera_id}"


class WallMedia(Protocol):
    async def connect(self, timeout: float = ...) -> None: ...

    async def close(self) -> None: ...

    async def add_participant(self, room_id: str, participant_id: str, role: str, sdp_offer: str, *,
                              video_codec: str = ..., shows: list[str] | None = None) -> str: ...

    async def remove_participant(self, room_id: str, participant_id: str) -> None: ...

    def events(self) -> AsyncIterator[Any]: ...


_factory: Callable[[], WallMedia] | None = None


def provide(factory: Callable[[], WallMedia] | None) -> None:
    """Called by the composition root at start-up (None: no media workers in this deployment)."""
    global _factory
    _factory = factory


def available() -> bool:
    return _factory is not None


class WallLink:
    """One process's connection to the media workers, made on first use."""

    def __init__(self, connect_timeout_s: float = 5.0) -> None:
        self.connect_timeout_s = connect_timeout_s
        self._client: WallMedia | None = None
        self._lock = asyncio.Lock()

    async def media(self) -> WallMedia:
        """Raises `LookupError` if nothing was provided, or the client's own error if the workers are down."""
        async with self._lock:
            if self._client is None:
                if _factory is None:
                    raise LookupError("no media workers in this deployment")
                client = _factory()
                try:
                    await client.connect(timeout=self.connect_timeout_s)
                except BaseException:
                    await client.close()
                    raise
                self._client = client
            return self._client

    async def reset(self, client: WallMedia) -> None:
        """That client failed: the next call connects afresh."""
        async with self._lock:
            if self._client is client:
                self._client = None
                await client.close()

    async def close(self) -> None:
        async with self._lock:
            if self._client is not None:
                await self._client.close()
                self._client = None
