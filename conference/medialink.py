"""The web process's link to the media workers: its one control channel (`MediaClient`, or the media
nodes' client with GIAOBAN_MEDIA_NODES), connected on first use and dropped when this process has no
socket left or a call finds it closed, and what the events the workers push on it become: a layout or
publish hint to one socket, connection states to everyone, a lost worker's participants asked for a
new offer once it is back, speaker changes to the floor rule (`speaking.py`), link counters to the
link record (`linkrecord.py`), a recording stopped for low disk to the archive.

Owned by the hub (`hub.py`), which it knows only through `LinkOwner`: the hub imports this module,
never the reverse. The channel's background work (its event pump, the renegotiations waiting for a
worker) is cancelled with the channel: it belongs to a connection that is gone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any, Protocol

from core.protocols.signaling import Layout, LayoutSlot, MediaState, PublishHint, Renegotiate

from .archive import live as archive_live
from .linkrecord import LinkRecorder
from .live import Connection, LiveMeeting
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
from .speaking import SpeakerSettling

log = logging.getLogger(__name__)
MEDIA_CONNECT_SECONDS = 5.0
# The media service restarts a dead worker within about 2 s; the clients' own watchdogs rejoin
# after 5 s of silence anyway.
WORKER_RESTART_WAIT_SECONDS = 10.0


class LinkOwner(Protocol):
    """What the link needs of the hub: the settings naming the workers, this process's meetings
    (the events name rooms, the participants are their sockets), the way to tell a change nobody
    decides on. The archive is handed the owner itself (its `db`, `publish`, `settings`)."""

    settings: Any
    meetings: dict[int, LiveMeeting]

    async def tell(self, meeting_id: int, messages: list[Any]) -> None: ...


class MediaLink:
    def __init__(self, owner: LinkOwner, speaking: SpeakerSettling, link_record: LinkRecorder) -> None:
        self._owner = owner
        self._speaking = speaking
        self._link_record = link_record
        self._router: MediaClient | None = None
        self._router_lock = asyncio.Lock()
        self._pump: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

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
        settings = self._owner.settings
        if getattr(settings, "media_nodes", False):
            from .media.nodeclient import NodeMediaClient
            from .media.registry import NodeRegistry

            return NodeMediaClient(NodeRegistry(settings.leases_url, settings.leases_namespace), settings.secret_key)
        return MediaClient(media_run_dir(settings.var_dir), settings.media_workers, settings.media_room_workers)

    async def failed(self, router: MediaClient) -> None:
        """A call found `router` closed: connect afresh next time. Only that router is dropped: a
        newer one serves everyone else, and dropping it would fail all their calls in flight."""
        async with self._router_lock:
            if self._router is router:
                await self._drop_router()

    async def close(self) -> None:
        async with self._router_lock:
            await self._drop_router()

    async def release_if_idle(self) -> None:
        if not any(live.connections for live in self._owner.meetings.values()):
            await self.close()

    async def _drop_router(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._pump is not None:
            self._pump.cancel()
            self._pump = None
        if self._router is not None:
            await self._router.close()
            self._router = None

    async def call(self, call: str, *args: Any) -> None:
        """Apply a control to the media room if this process has a channel to it; before anyone
        has media the live state is applied when they negotiate."""
        router = self._router
        if router is None:
            return
        with contextlib.suppress(MediaError, asyncio.TimeoutError):
            await getattr(router, call)(*args)

    async def forwarding(self, meeting_id: int) -> list[dict[str, Any]]:
        """What the workers forward to each participant of the meeting now (nothing before media)."""
        live, router = self._owner.meetings.get(meeting_id), self._router
        if live is None or router is None:
            return []
        return [entry.model_dump() for entry in await router.forwarding(live.room_id)]

    # -- what the workers' events become ---------------------------------------------------------

    async def _pump_events(self, router: MediaClient) -> None:
        async for event in router.events():
            try:
                await self.on_event(event)
            except Exception:
                log.exception("media event %s failed", event.event)

    def _by_room(self, room_id: str) -> LiveMeeting | None:
        if not room_id.startswith("meeting-"):
            return None
        try:
            return self._owner.meetings.get(int(room_id.removeprefix("meeting-")))
        except ValueError:
            return None

    async def on_event(self, event: Event) -> None:
        if isinstance(event, WorkerLostEvent):
            self._on_worker_lost(event.worker, event.at)
            return
        live = self._by_room(event.room)
        if live is None:
            return
        if isinstance(event, SpeakerEvent):
            await self._speaking.on_speaker(live.id, event.participant, event.at)
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
                await self._owner.tell(live.id, [MediaState(participant=conn.participant, state=conn.media_state)])
                if conn.media_state == "failed":
                    conn.presence.lose_media(time.time())
                    conn.send(Renegotiate(reason="media_failed"))
        elif isinstance(event, StatsEvent):
            await self._link_record.record(live, [sample.model_dump() for sample in event.participants])
        elif isinstance(event, RecordingStoppedEvent):
            await archive_live.recording_stopped(self._owner, live.id, event.reason, event.worker)

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
        for live in self._owner.meetings.values():
            for conn in list(live.connections.values()):
                if conn.in_media and router.worker_for_participant(conn.participant, live.room_id) == worker:
                    conn.presence.lose_media(at)
                    conn.media_state = "failed"
                    self._spawn(self._owner.tell(live.id, [MediaState(participant=conn.participant, state="failed")]))
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

    def _spawn(self, work: Any) -> None:
        """Run `work` in a task of its own; its failure is logged."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._spawned)

    def _spawned(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("live-state work failed", exc_info=task.exception())
