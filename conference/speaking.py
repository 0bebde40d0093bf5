"""Who speaks in a running meeting, settled: the media workers' voice events and the host's floor and
spotlight become one answer of the floor rule (`floor.py`), kept the same in the live state, the
speaking record and the bus (what /ops shows).

Its own module, owned by the hub, because every web process with a media channel hears the same
speaker events and any of them may change the floor: the rule's read-decide-change-record must run
one at a time and lose to nothing older, whatever the sockets (`hub.py`) or the media channel
(`medialink.py`) are doing meanwhile."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from core.protocols.signaling import Speaker

from .floor import who_speaks
from .journal import from_epoch, speaker_changed
from .livestate import LiveState, LiveStateUnavailable

log = logging.getLogger(__name__)


class SpeakerSettling:
    def __init__(self, state: LiveState, db: Callable[..., Awaitable[Any]],
                 publish: Callable[[str, dict[str, Any]], Awaitable[None]]) -> None:
        self._state = state
        self._db = db
        self._publish = publish
        self._settling = asyncio.Lock()  # the floor rule's read-decide-change-record, one at a time

    async def on_speaker(self, meeting_id: int, pid: str | None, at: float) -> None:
        """Every web process with a media channel hears the same speaker event: the event's own
        moment makes it one action, applied by whichever process comes first. It changes who
        speaks only through the floor rule (`settle`)."""
        if not pid:
            return
        state = await self._state.state(meeting_id)
        if state.seat(pid) is None or state.voice == pid:
            return
        outcome = await self._state.apply(meeting_id, [], writes={"voice": pid},
                                          action=f"speaker:{meeting_id}:{at!r}:{pid}", requires=[f"seat:{pid}"])
        if outcome == "applied":
            await self.settle(meeting_id, at=from_epoch(at))

    async def settle(self, meeting_id: int, *, at: datetime | None = None) -> None:
        """Apply the floor rule (`conference.floor`) after the floor, the spotlight, the voice or the
        seats changed: if who speaks (or why) changed, tell everyone, and keep the speaking record
        and the bus (what /ops shows) to the same answer."""
        try:
            # Read, decide, change and record one at a time: a later change never loses to an older read.
            async with self._settling:
                state = await self._state.state(meeting_id)
                if state.status == "ended":  # everyone is being let go: nobody starts speaking now
                    return
                seats = state.seats()
                now = who_speaks(floor=state.floor, spotlight=state.spotlight, voice=state.voice,
                                 present=set(seats))
                previous = state.speaker
                if (now.participant, now.source) == (previous, state.speaker_source):
                    return
                told = Speaker(participant=now.participant, previous=previous, source=now.source)
                # Applied only if no other web process settled it meanwhile (it then told and recorded it).
                expect = {"speaker": state.fields.get("speaker"), "speaker_source": state.fields.get("speaker_source")}
                if await self._state.apply(meeting_id, [told], expect=expect) != "applied" \
                        or now.participant == previous:
                    return
                at = at or datetime.now(UTC)
                pid = now.participant
                seat = seats.get(pid) if pid else None
                user_id = seat.user_id if seat else None
                await self._db(lambda s: speaker_changed(s, meeting_id=meeting_id, participant=pid, user_id=user_id,
                                                         at=at))
        except LiveStateUnavailable:
            log.warning("live state unavailable: the speaker of meeting %s is not settled", meeting_id)
            return
        if seat is not None:  # nobody speaking: onlookers learn it from the leave or spotlight event itself
            await self._publish("conference.speaker", {"meeting": meeting_id, "participant": pid, "unit": seat.unit,
                                                       "previous": previous, "source": now.source,
                                                       "at": at.timestamp()})
