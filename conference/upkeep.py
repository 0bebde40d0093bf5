"""What keeps the shared live state true while web processes come and go (several of them, the live
state in Redis): this process says every second that it is alive, putting its sockets' seats back if
Redis restarted empty, and every other second finishes what dead processes left: seats nobody came
back to within the grace period (their attendance intervals end when they were last heard) and host
actions applied without being recorded. It also tells the bus when the live state goes away and
comes back (joins and host controls are refused meanwhile).

Apart from the hub (`hub.py`), which owns it and which it knows only through `UpkeepOwner`, because
it acts on other processes' seats from the shared state, where the hub acts on this process's
sockets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from .journal import close_attendance, from_epoch, stop_speaking
from .live import LiveMeeting
from .livestate import LiveState, LiveStateUnavailable, Seat
from .medialink import MediaLink

log = logging.getLogger(__name__)
T = TypeVar("T")
# Each web process says it is alive every second, and looks for what dead ones left every other
# second. A participant whose web process is gone keeps its seat (and its attendance interval) this
# long: clients reconnect within a few seconds, to another process.
HEARTBEAT_SECONDS = 1.0
SWEEP_EVERY_BEATS = 2
RESUME_GRACE_SECONDS = 15.0


class UpkeepOwner(Protocol):
    """What the upkeep needs of the hub: the shared state, this process's sockets (whose seats it
    keeps alive), and the hub's ways to free a seat, finish a host action and reach the record,
    the bus and the media workers."""

    state: LiveState
    meetings: dict[int, LiveMeeting]
    media_link: MediaLink

    async def db(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T: ...

    async def publish(self, topic: str, event: dict[str, Any]) -> None: ...

    async def vacate(self, meeting_id: int, pid: str, token: str, reason: str) -> bool: ...

    async def finish_action(self, meeting_id: int, name: str, entry: dict[str, Any]) -> None: ...


class SeatUpkeep:
    def __init__(self, owner: UpkeepOwner) -> None:
        self._owner = owner
        self._task: asyncio.Task[None] | None = None
        self._state_ok = True

    def start(self) -> None:
        self._task = asyncio.ensure_future(self._keep_up())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _keep_up(self) -> None:
        state = self._owner.state
        beats = 0
        while True:
            try:
                await self.heartbeat()
                if beats % SWEEP_EVERY_BEATS == 0:
                    await self.sweep()
                if not self._state_ok:
                    self._state_ok = True
                    log.warning("live state available again")
                    await self._owner.publish("conference.live_state", {"status": "available",
                                                                        "process": state.process})
            except LiveStateUnavailable as exc:
                if self._state_ok:
                    self._state_ok = False
                    log.error("live state unavailable: %s; joins and host controls are refused until it is back", exc)
                    await self._owner.publish("conference.live_state", {"status": "unavailable",
                                                                        "process": state.process,
                                                                        "error": str(exc)[:300]})
            except Exception:
                log.exception("live state upkeep failed")
            beats += 1
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def _local_seats(self) -> list[tuple[int, Seat, float]]:
        return [(live.id, conn.seat, conn.presence.heard) for live in self._owner.meetings.values()
                for conn in live.connections.values() if conn.seat is not None and not conn.detached]

    async def heartbeat(self) -> None:
        state = self._owner.state
        restored = await state.heartbeat(self._local_seats())
        if restored:
            log.warning("live state was lost (Redis restarted empty): put back %d seats of this process's sockets; "
                        "raised hands, mutes and the floor of before are gone", restored)
            await self._owner.publish("conference.live_state", {"status": "restored", "process": state.process,
                                                                "seats": restored})

    async def sweep(self) -> None:
        """What web processes that are gone left in the live state: seats nobody came back to
        within the grace period (their interval ends when they were last heard) and host actions
        they applied without finishing (recorded here, once)."""
        live_state = self._owner.state
        now = time.time()
        alive: dict[str, bool] = {live_state.process: True}
        for meeting_id in await live_state.meeting_ids():
            state = await live_state.state(meeting_id)
            for name, entry in state.journal().items():
                owner = entry.get("owner", "")
                if owner not in alive:
                    alive[owner] = await live_state.owner_alive(owner)
                if not alive[owner] and await live_state.take_journal(meeting_id, f"journal:{name}", owner):
                    await self._owner.finish_action(meeting_id, f"journal:{name}", entry)
            for pid, seat in state.seats().items():
                if seat.owner not in alive:
                    alive[seat.owner] = await live_state.owner_alive(seat.owner)
                heard = state.heard(pid) or seat.since
                live = self._owner.meetings.get(meeting_id)
                mine_lost = (seat.owner == live_state.process and now - seat.since > RESUME_GRACE_SECONDS
                             and (live is None or pid not in live.connections))
                if (not alive[seat.owner] and now - heard > RESUME_GRACE_SECONDS) or mine_lost:
                    await self._reap(meeting_id, seat, heard)
            if not state.seats():
                await live_state.forget(meeting_id)

    async def _reap(self, meeting_id: int, seat: Seat, heard: float) -> None:
        if not await self._owner.vacate(meeting_id, seat.participant, seat.token, "disconnected"):
            return  # another process reaped it, or it came back
        at = from_epoch(heard)
        log.warning("%s left meeting %s with web process %s and did not come back: their interval ends at %s",
                    seat.participant, meeting_id, seat.owner or "(stopped)", at.isoformat())
        if seat.attendance_id is not None:
            attendance_id, pid = seat.attendance_id, seat.participant

            def close(session: Session) -> None:
                close_attendance(session, attendance_id, at, "disconnected")
                stop_speaking(session, meeting_id=meeting_id, at=at, participant=pid)

            await self._owner.db(close)
        await self._owner.publish("conference.left", {"meeting": meeting_id, "participant": seat.participant,
                                                      "unit": seat.unit, "reason": "disconnected",
                                                      "at": at.isoformat()})
        await self._owner.media_link.call("remove_participant", f"meeting-{meeting_id}", seat.participant)
