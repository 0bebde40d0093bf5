"""What becomes of the media workers' link counters in the web process: each socket's presence hears
that its packets still arrive, and the link figures (`linkstats.py` turns counters into rates and a
grade) go to everyone's tiles through the live state, to the participant's attendance record and to
the bus (the operations center's link health).

Apart from `linkstats.py`, which only measures and so stays free of the database and the live state;
owned by the hub, which forgets a participant's counters when their socket leaves."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.orm import Session

from core.protocols.signaling import LinkStats

from .journal import from_epoch, store_stats
from .linkstats import LinkMeter
from .live import LiveMeeting


class LinkRecorder:
    def __init__(self, db: Callable[..., Awaitable[Any]], tell: Callable[[int, list[Any]], Awaitable[None]],
                 publish: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._db = db
        self._tell = tell
        self._publish = publish
        self.meter = LinkMeter()

    def forget(self, participant: str) -> None:
        self.meter.forget(participant)

    async def record(self, live: LiveMeeting, samples: list[dict[str, Any]]) -> None:
        now = time.time()
        measured = []
        for sample in samples:
            conn = live.connections.get(str(sample.get("participant")))
            if conn is None:
                continue
            conn.presence.sample(int(sample.get("packets_in") or 0), now)
            quality = self.meter.update(sample, now)
            if quality is not None:
                measured.append((conn.attendance_id, quality))
        if not measured:
            return
        at = from_epoch(now)

        def store(session: Session) -> None:
            for attendance_id, quality in measured:
                if attendance_id is not None:
                    store_stats(session, attendance_id, quality.model_dump(), at)

        await self._db(store)
        figures = [q for _, q in measured]
        await self._tell(live.id, [LinkStats(participants=figures)])
        await self._publish("conference.stats", {"meeting": live.id,
                                                 "participants": [q.model_dump() for q in figures]})
