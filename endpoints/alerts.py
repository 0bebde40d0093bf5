"""Offline alerts: an endpoint invited to a live meeting that neither reports health nor attends
gets an alert, published on the bus as `endpoints.offline` (the operations center shows it) and
kept until the endpoint is back or the meeting is over (`endpoints.recovered`)."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy.orm import Session, sessionmaker

from core.bus import get_bus
from core.db import session_scope
from endpoints.models import EndpointAlert
from endpoints.registry import aware, registry

log = logging.getLogger(__name__)

CHECK_EVERY_S = 5.0


def check_alerts(factory: sessionmaker[Session], now: datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
    """Open and clear alerts in one transaction; returns the bus events to publish."""
    now = now or datetime.now(UTC)
    events: list[tuple[str, dict[str, Any]]] = []
    with session_scope(factory) as session:
        for row in registry(session, now):
            due = row.due_meeting_id
            missing = due is not None and not row.online and row.meeting_id != due
            event = {"endpoint": row.username, "name": row.name, "unit": row.unit, "unit_name": row.unit_name,
                     "meeting": due if missing else (row.alert.meeting_id if row.alert else None),
                     "last_seen": row.last_seen.isoformat() if row.last_seen else None, "at": now.isoformat()}
            if missing and row.alert is None:
                user_id = row.health.user_id if row.health else _user_id(session, row.username)
                session.add(EndpointAlert(user_id=user_id, meeting_id=due, raised_at=now, last_seen=row.last_seen))
                events.append(("endpoints.offline", event))
            elif row.alert is not None and (not missing or row.alert.meeting_id != due):
                row.alert.cleared_at = now
                event["offline_s"] = max(0, round((now - aware(row.alert.raised_at)).total_seconds()))
                events.append(("endpoints.recovered", event))
    return events


def _user_id(session: Session, username: str) -> int:
    from sqlalchemy import select

    from core.people import User

    return session.execute(select(User.id).where(User.username == username)).scalar_one()


async def watch(factory: sessionmaker[Session], interval: float = CHECK_EVERY_S) -> None:
    """Runs in the web process for its lifetime (started by the router's lifespan)."""
    while True:
        await asyncio.sleep(interval)
        try:
            events = await anyio.to_thread.run_sync(check_alerts, factory)
        except Exception:  # a database hiccup must not end the watch
            log.exception("endpoint alert check failed")
            continue
        for topic, event in events:
            if topic == "endpoints.offline":
                log.warning("endpoint %s is offline but due in meeting %s", event["endpoint"], event["meeting"])
            try:
                await get_bus().publish(topic, event)
            except Exception:
                log.exception("could not publish %s", topic)
