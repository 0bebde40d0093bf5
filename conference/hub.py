"""The web process's side of live meetings: the running meetings, the connection to the media
workers (their `MediaClient` control channel) and the events they push (speaker changes, slot
layouts, connection states, link statistics), which become changes of the live state (told to
every web process's sockets), bus events and rows of the meeting's record."""

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
from core.protocols.signaling import (
    Layout,
    LayoutSlot,
    LinkStats,
    MediaState,
    MeetingEnded,
    ParticipantLeft,
    PublishHint,
    Renegotiate,
    ScreenShare,
    Speaker,
)

from .archive import live as archive_live
from .floor import who_speaks
from .journal import add_action, close_attendance, from_epoch, speaker_changed, stop_speaking, store_stats
from .linkstats import LinkMeter
from .live import Connection, LiveMeeting
from .livestate import LiveState, LiveStateUnavailable, Seat, writes_of
from .livestate_choice import make_live_state
from .media.client import MediaClient
from .media.errors import MediaError
from .media.messages import (
    ConnectionEvent,
    Event,
    LayoutEvent,
    PublishHintEvent,
    RecordingStoppedEvent,
    SpeakerEvent,
    StatsEvent,
    WorkerLostEvent,
)
from .media.service import media_run_dir
from .models import Meeting

log = logging.getLogger(__name__)
T = TypeVar("T")
MEDIA_CONNECT_SECONDS = 5.0
# The media service restarts a dead worker within about 2 s; the clients' own watchdogs rejoin
# after 5 s of silence anyway.
WORKER_RESTART_WAIT_SECONDS = 10.0
# With several web processes: each says it is alive every second, and looks for what dead ones
# left every other second. A participant whose web process is gone keeps its seat (and its
# attendance interval) this long: clients reconnect within a few seconds, to another process.
HEARTBEAT_SECONDS = 1.0
SWEEP_EVERY_BEATS = 2
RESUME_GRACE_SECONDS = 15.0


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
        self._upkeep: asyncio.Task[None] | None = None
        self._state_ok = True
        self.meter = LinkMeter()
        self._router: MediaClient | None = None
        self._router_lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._detaching: dict[Connection, asyncio.Task[None]] = {}
        self._settling = asyncio.Lock()  # the floor rule's read-decide-change-record, one at a time

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
                self._upkeep = asyncio.ensure_future(self._keep_up())
        await asyncio.shield(self._started)

    async def _keep_up(self) -> None:
        beats = 0
        while True:
            try:
                await self._heartbeat()
                if beats % SWEEP_EVERY_BEATS == 0:
                    await self.sweep()
                if not self._state_ok:
                    self._state_ok = True
                    log.warning("live state available again")
                    await self.publish("conference.live_state", {"status": "available", "process": self.state.process})
            except LiveStateUnavailable as exc:
                if self._state_ok:
                    self._state_ok = False
                    log.error("live state unavailable: %s; joins and host controls are refused until it is back", exc)
                    await self.publish("conference.live_state", {"status": "unavailable", "process": self.state.process,
                                                                 "error": str(exc)[:300]})
            except Exception:
                log.exception("live state upkeep failed")
            beats += 1
            await asyncio.sleep(HEARTBEAT_SECONDS)

    def _local_seats(self) -> list[tuple[int, Seat, float]]:
        return [(live.id, conn.seat, conn.presence.heard) for live in self.meetings.values()
                for conn in live.connections.values() if conn.seat is not None and not conn.detached]

    async def _heartbeat(self) -> None:
        restored = await self.state.heartbeat(self._local_seats())
        if restored:
            log.warning("live state was lost (Redis restarted empty): put back %d seats of this process's sockets; "
                        "raised hands, mutes and the floor of before are gone", restored)
            await self.publish("conference.live_state", {"status": "restored", "process": self.state.process,
                                                         "seats": restored})

    async def sweep(self) -> None:
        """What web processes that are gone left in the live state: seats nobody came back to
        within the grace period (their interval ends when they were last heard) and host actions
        they applied without finishing (recorded here, once)."""
        now = time.time()
        alive: dict[str, bool] = {self.state.process: True}
        for meeting_id in await self.state.meeting_ids():
            state = await self.state.state(meeting_id)
            for name, entry in state.journal().items():
                owner = entry.get("owner", "")
                if owner not in alive:
                    alive[owner] = await self.state.owner_alive(owner)
                if not alive[owner] and await self.state.take_journal(meeting_id, f"journal:{name}", owner):
                    await self.finish_action(meeting_id, f"journal:{name}", entry)
            for pid, seat in state.seats().items():
                if seat.owner not in alive:
                    alive[seat.owner] = await self.state.owner_alive(seat.owner)
                heard = state.heard(pid) or seat.since
                live = self.meetings.get(meeting_id)
                mine_lost = (seat.owner == self.state.process and now - seat.since > RESUME_GRACE_SECONDS
                             and (live is None or pid not in live.connections))
                if (not alive[seat.owner] and now - heard > RESUME_GRACE_SECONDS) or mine_lost:
                    await self._reap(meeting_id, seat, heard)
            if not state.seats():
                await self.state.forget(meeting_id)

    async def _reap(self, meeting_id: int, seat: Seat, heard: float) -> None:
        if not await self._vacate(meeting_id, seat.participant, seat.token, "disconnected"):
            return  # another process reaped it, or it came back
        at = from_epoch(heard)
        log.warning("%s left meeting %s with web process %s and did not come back: their interval ends at %s",
                    seat.participant, meeting_id, seat.owner or "(stopped)", at.isoformat())
        if seat.attendance_id is not None:
            attendance_id, pid = seat.attendance_id, seat.participant

            def close(session: Session) -> None:
                close_attendance(session, attendance_id, at, "disconnected")
                stop_speaking(session, meeting_id=meeting_id, at=at, participant=pid)

            await self.db(close)
        await self.publish("conference.left", {"meeting": meeting_id, "participant": seat.participant,
                                               "unit": seat.unit, "reason": "disconnected", "at": at.isoformat()})
        if self._router is not None:
            with contextlib.suppress(MediaError, asyncio.TimeoutError):
                await self._router.remove_participant(f"meeting-{meeting_id}", seat.participant)

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
        """Apply a control to the media room if this process has a channel to it; before anyone
        has media the live state is applied when they negotiate."""
        router = self._router
        if router is None:
            return
        with contextlib.suppress(MediaError, asyncio.TimeoutError):
            await getattr(router, call)(*args)

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

    def by_room(self, room_id: str) -> LiveMeeting | None:
        if not room_id.startswith("meeting-"):
            return None
        try:
            return self.meetings.get(int(room_id.removeprefix("meeting-")))
        except ValueError:
            return None

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
        if conn.in_media and self._router is not None:
            with contextlib.suppress(MediaError, asyncio.TimeoutError):
                await self._router.remove_participant(live.room_id, pid)
        if conn.attendance_id is not None:
            attendance_id = conn.attendance_id

            def close(session: Session) -> None:
                close_attendance(session, attendance_id, at, reason)
                stop_speaking(session, meeting_id=live.id, at=at, participant=pid)

            await self.db(close)
        self.meter.forget(pid)
        await self._vacate(live.id, pid, conn.token, reason)
        await self.publish("conference.left", {"meeting": live.id, "participant": pid, "unit": conn.person.unit,
                                               "unit_name": conn.person.unit_name, "reason": reason,
                                               "at": at.isoformat()})
        await conn.close(close_code, reason)
        await self._after_last_local(live)

    async def _vacate(self, meeting_id: int, pid: str, token: str, reason: str) -> bool:
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
                await self.settle_speaker(meeting_id)
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
            if empty and self._router is not None:
                with contextlib.suppress(MediaError, asyncio.TimeoutError):
                    await self._router.close_room(live.room_id)
        await self._release_media_if_idle()

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

    def spawn(self, work: Any) -> None:
        """Run `work` in a task of its own; its failure is logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._spawned)

    def _spawned(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live-state work failed", exc_info=task.exception())

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
        if self._upkeep is not None:
            self._upkeep.cancel()
        connections = [conn for live in self.meetings.values() for conn in live.connections.values()]
        if self.state.shared:
            with contextlib.suppress(LiveStateUnavailable):
                await self._heartbeat()
            await self.state.release()
            for conn in connections:
                conn.detached = True
            await asyncio.gather(*(conn.close(1012, "server restarting") for conn in connections),
                                 return_exceptions=True)
            self.meetings.clear()
        else:
            await self._detach_all(connections, "disconnected", 1012)
        async with self._router_lock:
            await self._drop_router()
        await self.state.close()

    # -- media workers ---------------------------------------------------------------------------

    async def media(self) -> MediaClient:
        """The control channel to the media workers, connected on first use (raises MediaError)."""
        async with self._router_lock:
            if self._router is None:
                router = self._new_router()
                try:
                    await router.connect(timeout=MEDIA_CONNECT_SECONDS)
                except MediaError:
                    await router.close()
                    raise
                self._router = router
                self._pump = asyncio.ensure_future(self._pump_events(router))
            return self._router

    def _new_router(self) -> MediaClient:
        """This host's media workers, or the media nodes in the registry (GIAOBAN_MEDIA_NODES)."""
        if getattr(self.settings, "media_nodes", False):
            from .media.nodeclient import NodeMediaClient
            from .media.registry import NodeRegistry

            return NodeMediaClient(NodeRegistry(self.settings.leases_url, self.settings.leases_namespace),
                                   self.settings.secret_key)
        return MediaClient(media_run_dir(self.settings.var_dir), self.settings.media_workers,
                           self.settings.media_room_workers)

    async def media_failed(self, router: MediaClient) -> None:
        """A call found `router` closed: connect afresh next time. Only that router is dropped: a
        newer one serves everyone else, and dropping it would fail all their calls in flight."""
        async with self._router_lock:
            if self._router is router:
                await self._drop_router()

    async def _drop_router(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._router is not None:
            await self._router.close()
            self._router = None

    async def _release_media_if_idle(self) -> None:
        if not any(live.connections for live in self.meetings.values()):
            async with self._router_lock:
                await self._drop_router()

    async def _pump_events(self, router: MediaClient) -> None:
        async for event in router.events():
            try:
                await self.on_media_event(event)
            except Exception:
                log.exception("media event %s failed", event.event)

    async def on_media_event(self, event: Event) -> None:
        if isinstance(event, WorkerLostEvent):
            self._on_worker_lost(event.worker, event.at)
            return
        live = self.by_room(event.room)
        if live is None:
            return
        if isinstance(event, SpeakerEvent):
            await self._on_speaker(live, event.participant, event.previous, event.at)
        elif isinstance(event, LayoutEvent):
            conn = live.connections.get(event.participant)
            if conn is not None:
                conn.send(Layout(slots=[LayoutSlot(**slot.model_dump()) for slot in event.slots]))
        elif isinstance(event, PublishHintEvent):
            conn = live.connections.get(event.participant)
            if conn is not None and event.layer in ("high", "low"):
                conn.send(PublishHint(layer=event.layer, active=event.active))  # type: ignore[arg-type]
        elif isinstance(event, ConnectionEvent):
            conn = live.connections.get(event.participant)
            if conn is not None and conn.in_media:
                conn.media_state = event.state
                await self.tell(live.id, [MediaState(participant=conn.participant, state=conn.media_state)])
                if conn.media_state == "failed":
                    conn.presence.lose_media(time.time())
                    conn.send(Renegotiate(reason="media_failed"))
        elif isinstance(event, StatsEvent):
            await self._on_stats(live, [sample.model_dump() for sample in event.participants])
        elif isinstance(event, RecordingStoppedEvent):
            await archive_live.recording_stopped(self, live.id, event.reason, event.worker)

    async def forwarding(self, meeting_id: int) -> list[dict[str, Any]]:
        """What the workers forward to each participant of the meeting now (nothing before media)."""
        live, router = self.meetings.get(meeting_id), self._router
        if live is None or router is None:
            return []
        return [entry.model_dump() for entry in await router.forwarding(live.room_id)]

    def _on_worker_lost(self, worker: int, at: float) -> None:
        """Everyone whose media session was on that worker lost it when it died: say so, and once
        the worker is back ask them for a new offer rather than let each notice the silence and
        rejoin. Asking only then keeps their sockets' handlers free while it is away: an offer
        waiting for a worker that is not coming back (the whole server is stopping) would hold
        its socket open until shutdown gives up on it."""
        router = self._router
        if router is None:
            return
        lost = []
        for live in self.meetings.values():
            for conn in list(live.connections.values()):
                if conn.in_media and router.worker_for_participant(conn.participant, live.room_id) == worker:
                    conn.presence.lose_media(at)
                    conn.media_state = "failed"
                    self.spawn(self.tell(live.id, [MediaState(participant=conn.participant, state="failed")]))
                    lost.append(conn)
        if lost:
            task = asyncio.ensure_future(self._renegotiate_when_back(router, worker, lost))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _renegotiate_when_back(self, router: MediaClient, worker: int, lost: list[Connection]) -> None:
        try:
            await router.reconnect(worker, timeout=WORKER_RESTART_WAIT_SECONDS)
        except MediaError:
            log.warning("media worker %d is not back after %.0f s; %d participants rejoin by themselves",
                        worker, WORKER_RESTART_WAIT_SECONDS, len(lost))
            return
        for conn in lost:
            if not conn.detached and conn.presence.media_lost is not None:
                conn.send(Renegotiate(reason="media_failed"))

    async def tell(self, meeting_id: int, messages: list[Any]) -> None:
        """A change nobody decides on (media states, link figures): applied and told, or logged."""
        try:
            await self.state.apply(meeting_id, messages)
        except LiveStateUnavailable as exc:
            log.warning("live state unavailable; %s not told: %s", [m.type for m in messages], exc)

    async def _on_speaker(self, live: LiveMeeting, pid: str | None, previous: str | None, at: float) -> None:
        """Every web process with a media channel hears the same speaker event: the event's own
        moment makes it one action, applied by whichever process comes first. It changes who
        speaks only through the floor rule (`settle_speaker`)."""
        if not pid:
            return
        state = await self.state.state(live.id)
        if state.seat(pid) is None or state.voice == pid:
            return
        outcome = await self.state.apply(live.id, [], writes={"voice": pid},
                                         action=f"speaker:{live.id}:{at!r}:{pid}", requires=[f"seat:{pid}"])
        if outcome == "applied":
            await self.settle_speaker(live.id, at=from_epoch(at))

    async def settle_speaker(self, meeting_id: int, *, at: datetime | None = None) -> None:
        """Apply the floor rule (`conference.floor`) after the floor, the spotlight, the voice or the
        seats changed: if who speaks (or why) changed, tell everyone, and keep the speaking record
        and the bus (what /ops shows) to the same answer."""
        try:
            # Read, decide, change and record one at a time: a later change never loses to an older read.
            async with self._settling:
                state = await self.state.state(meeting_id)
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
                if await self.state.apply(meeting_id, [told], expect=expect) != "applied" \
                        or now.participant == previous:
                    return
                at = at or datetime.now(UTC)
                pid = now.participant
                seat = seats.get(pid) if pid else None
                user_id = seat.user_id if seat else None
                await self.db(lambda s: speaker_changed(s, meeting_id=meeting_id, participant=pid, user_id=user_id,
                                                        at=at))
        except LiveStateUnavailable:
            log.warning("live state unavailable: the speaker of meeting %s is not settled", meeting_id)
            return
        if seat is not None:  # nobody speaking: onlookers learn it from the leave or spotlight event itself
            await self.publish("conference.speaker", {"meeting": meeting_id, "participant": pid, "unit": seat.unit,
                                                      "previous": previous, "source": now.source,
                                                      "at": at.timestamp()})

    async def _on_stats(self, live: LiveMeeting, samples: list[dict[str, Any]]) -> None:
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

        await self.db(store)
        figures = [q for _, q in measured]
        await self.tell(live.id, [LinkStats(participants=figures)])
        await self.publish("conference.stats", {"meeting": live.id, "participants": [q.model_dump() for q in figures]})


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
