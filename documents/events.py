"""Bus events about documents (`documents.registered`, `documents.directed`, `documents.issued`, …).
Events are queued on the database session and published only once its transaction commits, so a
rolled-back change never announces itself."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import anyio.from_thread
from sqlalchemy import event
from sqlalchemy.orm import Session

from core.bus import get_bus

log = logging.getLogger("giaoban.documents")
_KEY = "documents.events"


def queue(session: Session, topic: str, payload: dict[str, Any]) -> None:
    session.info.setdefault(_KEY, []).append((topic, payload))


def pending(session: Session) -> list[tuple[str, dict[str, Any]]]:
    return list(session.info.get(_KEY, []))


@event.listens_for(Session, "after_commit")
def _publish_after_commit(session: Session) -> None:
    events = session.info.pop(_KEY, None)
    if events:
        publish_all(events)


@event.listens_for(Session, "after_rollback")
def _drop_after_rollback(session: Session) -> None:
    session.info.pop(_KEY, None)


def publish_all(events: list[tuple[str, dict[str, Any]]]) -> None:
    bus = get_bus()

    async def send() -> None:
        for topic, payload in events:
            await bus.publish(topic, payload)

    try:
        # In a web worker thread: run on the server's event loop, where subscribers live.
        anyio.from_thread.run(send)
        return
    except RuntimeError:
        pass
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        try:
            asyncio.run(send())
        except Exception:  # a bus outage must not undo a committed change
            log.exception("could not publish %d document events", len(events))
        return
    # Called from inside a running loop's own thread (async code committing synchronously).
    for topic, payload in events:
        publish_nowait = getattr(bus, "publish_nowait", None)
        if publish_nowait is not None:
            publish_nowait(topic, payload)
        else:
            asyncio.get_running_loop().create_task(bus.publish(topic, payload))
