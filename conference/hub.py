"""The web process's side of live meetings: the meetings this process holds sockets of, each socket's
leaving (its attendance interval closed, its seat freed, the others told, whether it left, was
disconnected, removed, taken over or the meeting ended), the live state's changes delivered to this
process's sockets, and what follows an applied host action.

The rest of a live meeting's upkeep is in parts the hub owns and wires together: the link to the
media workers and what their events become (`medialink.py`), the floor rule's settling of who
speaks (`speaking.py`), the link figures (`linkrecord.py`) and, with several web processes, the
heartbeat and the sweep of what dead processes left (`upkeep.py`). They know the hub only through
the narrow protocols they declare, so that none of them imports this module."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.requests import HTTPConnection

from core.bus import get_bus
from core.db import session_scope
from core.protocols.signaling import MeetingEnded, ParticipantLeft, ScreenShare

from .archive import live as archive_live
from .journal import add_action, close_attendance, from_epoch, stop_speaking
from .linkrecord import LinkRecorder
from .live import Connection, LiveMeeting
from .livestate import LiveState, LiveStateUnavailable, writes_of
from .livestate_choice import make_live_state
from .media.client import MediaClient
from .media.messages import Event
from .medialink import MediaLink
from .models import Meeting
from .speaking import SpeakerSettling
from .upkeep import SeatUpkeep

log = logging.getLogger(__name__)
T = TypeVar("T")


class Hub:
    def __init__(self, settings: Any, read: sessionmaker[Session], write: sessionmaker[Session]) -> None:
        self.loop = asyncio.get_running_loop()
        self.settings = settings
        self._read, self._write = read, write
        self.meetings: dict[int, LiveMeeting] = {}  # those with a socket on this process
        self.state: LiveState = make_live_state(getattr(settings, "live_state_url", ""),
                                                getattr(settings, "leases_namespace", "giaoban:"))
        self.state.listen(self._deliver)
        self._started: asyncio.Task[None] | None = None
        self._detaching: dict[Connection, asyncio.Task[None]] = {}
        self.speaking = SpeakerSettling(self.state, self.db, self.publish)
        self.link_record = LinkRecorder(self.db, self.tell, self.publish)
        self.media_link = MediaLink(self, self.speaking, self.link_record)
        self.upkeep = SeatUpkeep(self)

    # -- database and bus ------------------------------------------------------------------------

    async def db(self, fn: Callable[..., T], *args: Any, write: bool = True) -> T:
        factory = self._write if write else self._read

        def run() -> T:
            with session_scope(factory) as session:
                return fn(session, *args)

        return await anyio.to_thread.run_sync(run)

    async def publish(self, topic: str, event: dict[str, Any]) -> None:
        try:
            await get_bus().publish(topic, event)
        except Exception:  # the bus is for onlookers; a meeting must not stop because it is down
            log.exception("could not publish %s", topic)

    async def started(self) -> None:
        """The live state listens for changes from the other web processes (once); when it is
        shared, this process says it is alive and looks after what dead processes left."""
        if self._started is None:
            self._started = asyncio.ensure_future(self.state.start())
            if self.state.shared:
                self.upkeep.start()
        await asyncio.shield(self._started)

    async def finish_action(self, meeting_id: int, name: str, entry: dict[str, Any]) -> None:
        """What follows a host action's change: its media calls and its row in the record; then
        its journal entry goes."""
        for call in entry.get("media") or []:
            await self.media_call(*call)
        await self.record_action(meeting_id, entry)
        with contextlib.suppress(LiveStateUnavailable):  # left over, it is finished again: no harm, once
            await self.state.apply(meeting_id, [], writes={name: None})

    async def record_action(self, meeting_id: int, entry: dict[str, Any]) -> None:
        """The record's row and the bus event of an applied host action."""
        actor, role, action, target, detail = (entry["actor"], entry["role"], entry["action"], entry["target"],
                                               entry.get("detail"))
        await self.db(lambda s: add_action(s, meeting_id=meeting_id, actor=actor, actor_role=role, action=action,
                                           target=target, detail=detail))
        await self.publish("conference.action", {"meeting": meeting_id, "actor": actor, "action": action,
                                                 "target": target, "detail": detail or {}})

    async def media_call(self, call: str, *args: Any) -> None:
        """Apply a control to the media room if this process has a channel to it (`MediaLink.call`)."""
        await self.media_link.call(call, *args)

    async def pause_for_faults(self) -> None:
        """Fault tests kill a web process between a control's change and its record: they ask for
        this pause (GIAOBAN_FAULT_PAUSE_AFTER_CONTROL_S) to have the time to do it."""
        pause = float(os.environ.get("GIAOBAN_FAULT_PAUSE_AFTER_CONTROL_S") or 0)
        if pause > 0:
            await asyncio.sleep(pause)

    async def forget_if_empty(self, live: LiveMeeting) -> None:
        await self._after_last_local(live)

    # -- meetings --------------------------------------------------------------------------------

    def live(self, meeting: Meeting) -> LiveMeeting:
        live = self.meetings.get(meeting.id)
        if live is None:
            live = self.meetings[meeting.id] = LiveMeeting.of(meeting)
        else:
            live.refresh(meeting)
        return live


    async def detach(self, conn: Connection, reason: str, *, close_code: int = 1000) -> None:
        """The participant is gone (left, disconnected, removed, meeting ended): close their
        attendance interval and speaking turn, drop their media, tell the others. Returns when
        that is done, also when another task had begun it (the meeting's end, a takeover).

        It runs in a task of its own, to the end even if the task that asked is cancelled (a
        socket's handler is cancelled when the server stops, and by a test client when the socket
        closes): stopped halfway, the participant would stay in the live meeting with an open
        interval, and a host whose socket closed while ending the meeting would leave the others
        connected to it."""
        task = self._start_detach(conn, reason, close_code)
        if task is not None:
            await asyncio.shield(task)

    def _start_detach(self, conn: Connection, reason: str, close_code: int) -> asyncio.Task[None] | None:
        if conn.detached:
            return self._detaching.get(conn)
        conn.detached = True
        task = self._detaching[conn] = asyncio.ensure_future(self._detach(conn, reason, close_code))
        task.add_done_callback(lambda _: self._detached(conn, task))
        return task

    def _detached(self, conn: Connection, task: asyncio.Task[None]) -> None:
        self._detaching.pop(conn, None)
        if not task.cancelled() and task.exception() is not None:  # seen here even if nobody awaits it any more
            log.error("detaching %s failed", conn.participant, exc_info=task.exception())

    async def _detach(self, conn: Connection, reason: str, close_code: int) -> None:
        live = self.meetings.get(conn.meeting_id)
        pid = conn.participant
        if conn.pending_offer is not None and conn.pending_offer.timer is not None:
            conn.pending_offer.timer.cancel()
        if live is None or live.connections.get(pid) is not conn:
            await conn.close(close_code, reason)
            return
        del live.connections[pid]
        if reason == "taken":  # its seat is another socket's now, on another web process: nothing else is ours
            await conn.close(close_code, "disconnected")
            await self._after_last_local(live)
            return
        at = datetime.now(UTC)
        if reason == "disconnected":  # gone since it was last known to be there, not since we noticed
            at = from_epoch(conn.presence.present_until(at.timestamp()))
        if conn.in_media:
            await self.media_link.call("remove_participant", live.room_id, pid)
        if conn.attendance_id is not None:
            attendance_id = conn.attendance_id

            def close(session: Session) -> None:
                close_attendance(session, attendance_id, at, reason)
                stop_speaking(session, meeting_id=live.id, at=at, participant=pid)

            await self.db(close)
        self.link_record.forget(pid)
        await self.vacate(live.id, pid, conn.token, reason)
        await self.publish("conference.left", {"meeting": live.id, "participant": pid, "unit": conn.person.unit,
                                               "unit_name": conn.person.unit_name, "reason": reason,
                                               "at": at.isoformat()})
        await conn.close(close_code, reason)
        await self._after_last_local(live)

    async def vacate(self, meeting_id: int, pid: str, token: str, reason: str) -> bool:
        """Free the participant's seat if `token` still holds it, telling everyone. False if it
        did not (a later join took it over) or the live state is unavailable. Whatever floor,
        spotlight or voice it held goes with it, and the floor rule picks the speaker again."""
        try:
            state = await self.state.state(meeting_id)
            left = ParticipantLeft(participant=pid, reason=reason)  # type: ignore[arg-type]
            writes = writes_of(left, time.time())
            held = [name for name in ("floor", "spotlight", "voice", "screen") if state.fields.get(name) == pid]
            writes.update({name: None for name in held})
            told: list[Any] = [left] + ([ScreenShare(participant=None)] if "screen" in held else [])
            if await self.state.apply(meeting_id, told, writes=writes, guard=(pid, token)) != "applied":
                return False
            if held or state.speaker == pid:
                await self.speaking.settle(meeting_id)
            return True
        except LiveStateUnavailable:
            log.error("live state unavailable: %s left meeting %s but the others are not told", pid, meeting_id)
            return False

    async def _after_last_local(self, live: LiveMeeting) -> None:
        """This process's last socket of the meeting is gone: drop what it kept of it, and the
        media room too if nobody is left on any process."""
        if not live.connections and self.meetings.get(live.id) is live:
            self.meetings.pop(live.id, None)
            try:
                empty = not (await self.state.state(live.id)).seats()
                if empty:
                    await self.state.forget(live.id)
            except LiveStateUnavailable:
                empty = False
            if empty:
                await self.media_link.call("close_room", live.room_id)
        await self.media_link.release_if_idle()

    async def end_meeting(self, meeting_id: int, by: str) -> None:
        """Everyone is told and disconnected; the record was already closed by `scheduling.end`."""
        # The recorders stop and the archive is sealed in the background, whoever is still connected.
        archive_live.meeting_ended(self, meeting_id, f"meeting-{meeting_id}")
        live = self.meetings.get(meeting_id)
        if live is None and not self.state.shared:
            return
        # Every web process holding its sockets disconnects them when told (`_deliver`).
        try:
            await self.state.apply(meeting_id, [MeetingEnded(by=by)],
                                   effects=[["ended"]] if self.state.shared else None)
        except LiveStateUnavailable:
            log.error("live state unavailable: meeting %s ended, only this process's sockets are told", meeting_id)
            if live is not None:
                live.send_local([MeetingEnded(by=by).model_dump_json(by_alias=True)])
        # Published first: what listens (the minutes' draft) needs only the closed record, and must
        # hear of the end even if disconnecting someone fails.
        await self.publish("conference.meeting", {"meeting": meeting_id, "status": "ended", "by": by})
        if live is not None:
            live.status = "ended"
            await self._detach_all(list(live.connections.values()), "ended", 4001)

    def _deliver(self, meeting_id: int, texts: list[str], skip: str | None, effects: list[list[Any]]) -> None:
        """A change of a meeting's live state, from any web process: to this process's sockets."""
        live = self.meetings.get(meeting_id)
        if live is None:
            return
        live.send_local(texts, skip=skip)
        for effect in effects:
            if effect[0] == "ended":
                live.status = "ended"
                for conn in list(live.connections.values()):
                    self._start_detach(conn, "ended", 4001)
            elif effect[0] == "removed" and (conn := live.connections.get(effect[1])) is not None:
                self._start_detach(conn, "removed", 4000)
            elif effect[0] == "taken" and (conn := live.connections.get(effect[1])) is not None \
                    and conn.token != effect[2]:
                conn.presence.taken_over = True
                self._start_detach(conn, "taken", 4002)

    async def tell(self, meeting_id: int, messages: list[Any]) -> None:
        """A change nobody decides on (media states, link figures): applied and told, or logged."""
        try:
            await self.state.apply(meeting_id, messages)
        except LiveStateUnavailable as exc:
            log.warning("live state unavailable; %s not told: %s", [m.type for m in messages], exc)

    async def _detach_all(self, connections: list[Connection], reason: str, close_code: int) -> None:
        """Detach them all at once. Not with gather(): a gather cancelled with its caller cancels
        what it waits for, and when some of it had already finished it raises a CancelledError
        that is no longer the caller's own (anyio then takes it for someone else's)."""
        tasks = [task for conn in connections if (task := self._start_detach(conn, reason, close_code))]
        if tasks:
            await asyncio.wait(tasks)

    async def shutdown(self) -> None:
        """The web process is stopping: clients reconnect (1012). With one web process everyone's
        interval ends now; with several, their seats stay and they resume on another process
        within the grace period (else the others reap them)."""
        self.upkeep.stop()
        connections = [conn for live in self.meetings.values() for conn in live.connections.values()]
        if self.state.shared:
            with contextlib.suppress(LiveStateUnavailable):
                await self.upkeep.heartbeat()
            await self.state.release()
            for conn in connections:
                conn.detached = True
            await asyncio.gather(*(conn.close(1012, "server restarting") for conn in connections),
                                 return_exceptions=True)
            self.meetings.clear()
        else:
            await self._detach_all(connections, "disconnected", 1012)
        await self.media_link.close()
        await self.state.close()

    # -- its parts, as the signaling layer, the API, the archive and the tests call them ---------

    async def media(self) -> MediaClient:
        """The control channel to the media workers, connected on first use (raises MediaError)."""
        return await self.media_link.media()

    async def media_failed(self, router: MediaClient) -> None:
        await self.media_link.failed(router)

    async def forwarding(self, meeting_id: int) -> list[dict[str, Any]]:
        return await self.media_link.forwarding(meeting_id)

    async def on_media_event(self, event: Event) -> None:
        await self.media_link.on_event(event)

    async def settle_speaker(self, meeting_id: int, *, at: datetime | None = None) -> None:
        await self.speaking.settle(meeting_id, at=at)



def hub_for(conn: HTTPConnection) -> Hub:
    """The hub of this app on the running event loop (a test client may bring its own loop)."""
    return hub_of_app(conn.app)


def hub_of_app(app: Any) -> Hub:
    state = app.state
    hub: Hub | None = getattr(state, "conference_hub", None)
    if hub is None or hub.loop is not asyncio.get_running_loop():
        hub = Hub(state.settings, state.sessionmaker, state.write_sessionmaker)
        state.conference_hub = hub
    return hub


def existing_hub(conn: HTTPConnection) -> Hub | None:
    hub: Hub | None = getattr(conn.app.state, "conference_hub", None)
    if hub is None or hub.loop.is_closed():
        return None
    return hub
