"""The camera ingest process (`giaoban service ops_center`, started by `giaoban up`).

Runs one worker per enabled camera, stores what they report, raises camera
alerts, escalates unacknowledged alerts and applies the media retention policy.
With `GIAOBAN_START_DEMO_CAMERAS` it also serves the synthetic demo cameras.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import time
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.bus import EventBus, get_bus
from core.db import engine_for, session_factory, session_scope
from core.leases import LeaseStore, make_leases
from core.settings import Settings
from ops_center.alerts.rules import AlertKind, RuleConfig, Severity
from ops_center.alerts.store import EscalationPolicy, alert_json, escalate_due, load_rules
from ops_center.clips import prune_media
from ops_center.config import OpsSettings, get_ops_settings, media_dir
from ops_center.ingest import IngestSupervisor
from ops_center.models import Camera, CameraEvent
from ops_center.ownership import CameraOwnership
from ops_center.signals import record_signal
from ops_center.wall_feeds import WallFeeds
from ops_center.wall_media import available as wall_available
from ops_center.worker import CameraConfig

log = logging.getLogger(__name__)


def camera_configs(session: Session) -> list[CameraConfig]:
    rows = session.execute(select(Camera).where(Camera.enabled.is_(True)).order_by(Camera.id)).unique().scalars()
    return [CameraConfig(id=str(c.id), name=c.name, url=c.stream_url, substream_url=c.substream_url or None,
                         zones=list(c.zones or []), masks=list(c.masks or []), analysis_fps=c.analysis_fps,
                         people_fps=c.people_fps, transport=c.transport or "tcp") for c in rows]


class IngestService:
    """The pieces of the ingest process, startable from tests without signal handlers."""

    def __init__(self, settings: Settings, ops: OpsSettings | None = None, bus: EventBus | None = None,
                 leases: LeaseStore | None = None, node: str | None = None) -> None:
        self.settings = settings
        self.ops = ops or get_ops_settings()
        self.bus = bus or get_bus()
        self.node = node or self.ops.node or f"{socket.gethostname()}-{os.getpid()}"
        store = leases or make_leases(settings.leases_url, settings.leases_namespace)
        self.ownership = CameraOwnership(store, self.node, ttl_s=self.ops.lease_ttl_s)
        self.configs: list[CameraConfig] = []
        self.tokens: dict[str, int] = {}
        engine = engine_for(settings.database_url)
        self.write: sessionmaker[Session] = session_factory(engine, write=True)
        self.read: sessionmaker[Session] = session_factory(engine)
        self.policy = EscalationPolicy(after_s={Severity.CRITICAL: self.ops.escalate_critical_s,
                                                Severity.WARNING: self.ops.escalate_warning_s,
                                                Severity.INFO: None})
        self.rules: dict[AlertKind, RuleConfig] = {}
        self.names: dict[str, str] = {}
        self.supervisor: IngestSupervisor | None = None
        # The WebRTC wall: this node's RTSP cameras published to the media workers, when there are any.
        self.wall: WallFeeds | None = WallFeeds() if wall_available() else None
        self._wall_round: asyncio.Task | None = None
        self._inbox: asyncio.Queue[tuple[str, dict[str, Any]]] | None = None

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        self._inbox = inbox = asyncio.Queue(maxsize=20000)

        def emit(kind: str, payload: dict[str, Any]) -> None:
            # Every report carries this node's lease on the camera: storage refuses an older one.
            token = self.tokens.get(str(payload.get("camera_id")))
            if token is not None:
                payload = {**payload, "owner": self.node, "lease_token": token}
            loop.call_soon_threadsafe(_offer, inbox, (kind, payload))

        if self.wall is not None:
            self.wall.on_codec = lambda camera_id, codec: emit(
                "camera.main_codec", {"camera_id": camera_id, "codec": codec, "at": time.time()})
        self.supervisor = IngestSupervisor(emit, media_dir(self.settings),
                                           offline_after_s=self.ops.offline_after_s).start()
        tasks = [asyncio.create_task(coro) for coro in
                 (self._reload_loop(), self._drain_loop(), self._escalation_loop(), self._retention_loop())]
        try:
            await stop.wait()
        finally:
            # Workers first: stopping closes their open events, and those must still be stored.
            await asyncio.to_thread(self.supervisor.stop)
            if self.wall is not None:
                if self._wall_round is not None:
                    self._wall_round.cancel()
                with contextlib.suppress(BaseException):
                    await self.wall.close()
            with contextlib.suppress(Exception):
                await self.ownership.release_all()  # the other nodes take over at once
            await asyncio.sleep(0)  # let the workers' last call_soon_threadsafe callbacks land
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            leftover = []
            while not inbox.empty():
                leftover.append(inbox.get_nowait())
            if leftover:
                for topic, payload in await asyncio.to_thread(self._store, leftover):
                    await self.bus.publish(topic, payload)

    async def reload(self) -> None:
        def load() -> tuple[list[CameraConfig], dict[AlertKind, RuleConfig], dict[str, str]]:
            with self.read() as session:
                configs = camera_configs(session)
                return configs, load_rules(session), {c.id: c.name for c in configs}

        self.configs, self.rules, self.names = await asyncio.to_thread(load)
        await self.rebalance()

    async def rebalance(self) -> None:
        """Renew this node's leases, take or hand over cameras, and run workers for exactly those held."""
        held = await self.ownership.balance(c.id for c in self.configs)
        self.tokens.update({cid: lease.token for cid, lease in held.items()})
        assert self.supervisor is not None
        mine = [c for c in self.configs if c.id in held]
        await asyncio.to_thread(self.supervisor.apply, mine)
        if self.wall is not None and (self._wall_round is None or self._wall_round.done()):
            # In the background: publishing a hundred cameras takes a while, and must never hold
            # up the lease renewals this round is for.
            self._wall_round = asyncio.ensure_future(self.wall.apply(mine))

    async def _reload_loop(self) -> None:
        # Polling the registry keeps the API process and this one decoupled: a camera added in
        # the page starts being read within a few seconds, whatever bus is configured. Leases
        # are renewed more often than that (a third of their time to live).
        next_load = 0.0
        while True:
            try:
                if time.monotonic() >= next_load:
                    next_load = time.monotonic() + 5
                    await self.reload()
                else:
                    await self.rebalance()
            except Exception:
                log.exception("reloading cameras failed")
            await asyncio.sleep(self.ownership.round_s)

    async def _drain_loop(self) -> None:
        assert self._inbox is not None
        while True:
            batch = [await self._inbox.get()]
            while not self._inbox.empty() and len(batch) < 500:
                batch.append(self._inbox.get_nowait())
            try:
                published = await asyncio.to_thread(self._store, batch)
            except Exception:
                log.exception("storing %d camera signals failed", len(batch))
                continue
            for topic, payload in published:
                await self.bus.publish(topic, payload)

    def _store(self, batch: list[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict[str, Any]]]:
        out: list[tuple[str, dict[str, Any]]] = []
        with session_scope(self.write) as session:
            for kind, payload in batch:
                # One savepoint per signal: a camera deleted a moment ago must not cost the others theirs.
                try:
                    with session.begin_nested():
                        published = record_signal(session, kind, payload, self.rules, self.names)
                except SQLAlchemyError as exc:
                    log.warning("camera signal %s for %s not stored: %s", kind, payload.get("camera_id"), exc)
                    continue
                out.extend(published)
        return out

    async def _escalation_loop(self) -> None:
        while True:
            await asyncio.sleep(5)
            try:
                for alert in await asyncio.to_thread(self._escalate):
                    await self.bus.publish("ops.alert.escalated", alert)
            except Exception:
                log.exception("escalation check failed")

    def _escalate(self) -> list[dict[str, Any]]:
        with session_scope(self.write) as session:
            return [alert_json(a, self.policy) for a in escalate_due(session, self.policy)]

    async def _retention_loop(self) -> None:
        while True:
            try:
                await asyncio.to_thread(self.apply_retention)
            except Exception:
                log.exception("media retention failed")
            await asyncio.sleep(3600)

    def apply_retention(self) -> int:
        root = media_dir(self.settings)
        if not root.exists():
            return 0
        removed = prune_media(root, self.ops.retention_days, self.ops.retention_max_mb * 1024 * 1024)
        gone = {str(p) for p in removed}
        if gone:
            with session_scope(self.write) as session:
                session.execute(update(CameraEvent).where(CameraEvent.snapshot_path.in_(gone))
                                .values(snapshot_path=None))
                session.execute(update(CameraEvent).where(CameraEvent.clip_path.in_(gone)).values(clip_path=None))
        return len(removed)


def _offer(inbox: asyncio.Queue[tuple[str, dict[str, Any]]], item: tuple[str, dict[str, Any]]) -> None:
    with contextlib.suppress(asyncio.QueueFull):  # a stuck database must not grow memory without bound
        inbox.put_nowait(item)


async def serve(settings: Settings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ops = get_ops_settings()
    synthetic = None
    if settings.start_demo_cameras:
        from ops_center.synthetic import start_synthetic_cameras

        synthetic = start_synthetic_cameras(ops.synthetic_count, ops.synthetic_port)
    try:
        await IngestService(settings, ops).run(stop)
    finally:
        if synthetic is not None:
            synthetic.stop()


def run(settings: Settings) -> None:
    """Blocking entry point for `giaoban up`."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(serve(settings))
