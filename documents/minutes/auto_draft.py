"""Drafting minutes when a meeting ends: the conference publishes `conference.meeting` with status
`ended` on the event bus; the web process runs `follow_meetings` and drafts from the meeting's record
(the same as POST /api/meetings/{id}/minutes, done by the system). Already drafted: nothing happens."""

from __future__ import annotations

import asyncio
import logging

import anyio
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.bus import EventBus
from documents.minutes import record_source
from documents.minutes.drafts import MinutesError, create_draft
from documents.minutes.models import Minutes

log = logging.getLogger("giaoban.minutes")
TOPIC = "conference.meeting"


def draft_for_meeting(session: Session, meeting_id: int) -> Minutes | None:
    """The draft of an ended meeting, made by the system; None if it already has minutes."""
    if session.execute(select(Minutes.id).where(Minutes.meeting_id == meeting_id)).first() is not None:
        return None
    source = record_source.fetch(session, meeting_id)
    return create_draft(session, source=source, actor=None)


def _draft_now(factory: sessionmaker[Session], meeting_id: int) -> int | None:
    with factory() as session:
        try:
            minutes = draft_for_meeting(session, meeting_id)
        except (record_source.RecordUnavailable, MinutesError) as exc:
            session.rollback()
            log.info("no minutes drafted for meeting %s: %s", meeting_id, exc)
            return None
        try:
            session.commit()
        except IntegrityError:
            # Another process (several web workers follow the same bus) drafted it first.
            session.rollback()
            return None
        return minutes.id if minutes else None


async def follow_meetings(bus: EventBus, factory: sessionmaker[Session], ready: asyncio.Event | None = None) -> None:
    """Run until cancelled; `factory` must make writing sessions. `ready` is set once subscribed."""
    events = bus.subscribe(TOPIC)
    pending = asyncio.ensure_future(anext(events))
    await asyncio.sleep(0)  # the subscription exists once the generator has started running
    if ready is not None:
        ready.set()
    while True:
        topic, event = await pending
        pending = asyncio.ensure_future(anext(events))
        if topic == TOPIC and event.get("status") == "ended" and isinstance(event.get("meeting"), int):
            try:
                made = await anyio.to_thread.run_sync(_draft_now, factory, int(event["meeting"]))
            except Exception:  # noqa: BLE001 - one bad meeting must not stop drafting for the next ones
                log.exception("drafting minutes for meeting %s failed", event["meeting"])
                continue
            if made is not None:
                log.info("minutes %s drafted for meeting %s", made, event["meeting"])
