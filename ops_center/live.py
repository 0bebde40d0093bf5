"""The live dashboard: its state, the WebSocket that pushes it, and the web process's bus listener.

The listener runs in the web process (started by the router's lifespan): it
raises the alerts whose signals come from the other areas (endpoint dropped
out of a meeting, urgent document not directed; dossiers about to be late are
polled through the dossiers' own function; accounts locked and addresses throttled
after wrong logins are read from the audit log both login doors write), and wakes the dashboards. Camera signals
come from the ingest process through the database, which the dashboards also
re-read every couple of seconds, so the screen stays live with the in-process
bus too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Query, Request, WebSocket, WebSocketDisconnect
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from core import unit_sets
from core.audit import entries_after, last_seq_before
from core.bus import get_bus
from core.db import session_scope
from core.people import User
from core.request_db import db, sessionmaker_of
from core.units import Unit
from ops_center import kpi
from ops_center.access import viewers
from ops_center.alerts.rules import AlertKind, evaluate
from ops_center.alerts.store import alert_json, apply_drafts, load_rules, open_keys, resolve_prefix
from ops_center.camera_json import camera_json, event_json
from ops_center.config import get_ops_settings
from ops_center.models import Alert, Camera, CameraEvent, as_utc

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops_center"])
REFRESH_S = 2.0
# A page that hears nothing for three heartbeats reconnects: a half-open connection (a proxy or NAT
# that forgot it) would otherwise look live while showing an old state.
HEARTBEAT_S = 10.0
KPI_MAX_AGE_S = 15.0
ALERT_PREFIXES = ("conference.left", "conference.joined", "conference.meeting", "conference.recording", "documents.")
DOSSIER_POLL_S = 300.0
LOGIN_POLL_S = 2.0
LOGIN_ACTIONS = ("auth.locked", "auth.throttled")


class DashboardHub:
    """Wakes every open dashboard when something relevant happened."""

    def __init__(self) -> None:
        self.documents = kpi.DocumentTally()
        self.version = 0
        self._cond = asyncio.Condition()
        # The other areas' figures can be costly (dossier statistics): one reading serves every
        # open dashboard until an event says they changed, or they are KPI_MAX_AGE_S old.
        self._figures: dict[str | None, tuple[float, dict[str, Any]]] = {}
        self._figures_lock = threading.Lock()
        self.figures_stale = True

    def figures(self, session: Session, period: str | None = None) -> dict[str, Any]:
        with self._figures_lock:
            if self.figures_stale:
                self._figures.clear()
                self.figures_stale = False
            cached = self._figures.get(period)
            if cached is None or time.monotonic() - cached[0] > KPI_MAX_AGE_S:
                cached = self._figures[period] = (time.monotonic(), kpi.collect(session, self.documents, period))
            return cached[1]

    async def changed(self) -> None:
        async with self._cond:
            self.version += 1
            self._cond.notify_all()

    async def wait(self, seen: int, timeout: float) -> int:
        async with self._cond:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._cond.wait_for(lambda: self.version != seen), timeout)
            return self.version


def hub_of(app: FastAPI) -> DashboardHub:
    hub = getattr(app.state, "ops_hub", None)
    if hub is None:
        hub = app.state.ops_hub = DashboardHub()
    return hub


async def listen(app: FastAPI, hub: DashboardHub) -> None:
    bus = get_bus()
    async for topic, event in bus.subscribe(""):
        try:
            if topic.startswith("documents."):
                hub.documents.apply(topic, event)
            if topic.startswith(ALERT_PREFIXES):
                for out_topic, data in await asyncio.to_thread(_external_alert, app, topic, event):
                    await bus.publish(out_topic, data)
            if topic.startswith(kpi.KPI_TOPICS):
                hub.figures_stale = True
            if topic.startswith(("ops.", *kpi.KPI_TOPICS)):
                await hub.changed()
        except Exception:
            log.exception("dashboard listener failed on %s", topic)


def _external_alert(app: FastAPI, topic: str, event: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    if topic == "conference.meeting":
        if event.get("status") != "ended":
            return []
        with session_scope(app.state.write_sessionmaker) as session:
            ended = resolve_prefix(session, f"endpoint_offline:{event.get('meeting')}:", {"meeting": "ended"})
            session.flush()
            return [("ops.alert.resolved", alert_json(a)) for a in ended]
    # Most events raise nothing: decide on a read session, take the write lock only for a change.
    with app.state.sessionmaker() as session:
        drafts = evaluate(topic, event, load_rules(session))
    if not drafts:
        return []
    with session_scope(app.state.write_sessionmaker) as session:
        return apply_drafts(session, drafts)


def check_dossiers(factory: sessionmaker[Session]) -> list[tuple[str, dict[str, Any]]]:
    """Raise an alert per dossier about to be late, clear those that no longer are."""
    about_to_be_late = kpi.provider("dossiers_due")
    if about_to_be_late is None:
        return []
    with session_scope(factory) as session:
        rules = load_rules(session)
        rule = rules[AlertKind.DOSSIER_DUE]
        if not rule.enabled:
            return []
        due = about_to_be_late(session, int(rule.params.get("within_working_days", 1)))
        drafts = [d for item in due for d in evaluate("dossiers.due_soon", item, rules)]
        still = {d.key for d in drafts}
        for key in open_keys(session, "dossier_due:") - still:
            drafts += evaluate("dossiers.resolved", {"id": key.split(":", 1)[1]}, rules)
        return apply_drafts(session, drafts)


def check_logins(factory: sessionmaker[Session], after_seq: int) -> tuple[list[tuple[str, dict[str, Any]]], int]:
    """Raise (or count up) an alert per account locked or address throttled since audit entry `after_seq`;
    both login doors write these entries, whichever process they run in. Returns the bus events and the
    last entry read."""
    with session_scope(factory) as session:
        entries = entries_after(session, after_seq, LOGIN_ACTIONS)
        if not entries:
            return [], after_seq
        rules = load_rules(session)
        drafts = [d for e in entries for d in evaluate(e.action, {
            **json.loads(e.detail), "actor": e.actor, "at": e.at.isoformat()}, rules)]
        return apply_drafts(session, drafts), entries[-1].seq


async def poll_logins(app: FastAPI, hub: DashboardHub) -> None:
    bus = get_bus()
    with app.state.sessionmaker() as session:  # what happened in the last hour, if this process is new
        seq = last_seq_before(session, datetime.now(UTC) - timedelta(hours=1))
    while True:
        try:
            published, seq = await asyncio.to_thread(check_logins, app.state.write_sessionmaker, seq)
            for topic, data in published:
                await bus.publish(topic, data)
            if published:
                await hub.changed()
        except Exception:
            log.exception("checking login attacks failed")
        await asyncio.sleep(LOGIN_POLL_S)


async def poll_dossiers(app: FastAPI, hub: DashboardHub) -> None:
    bus = get_bus()
    while True:
        try:
            published = await asyncio.to_thread(check_dossiers, app.state.write_sessionmaker)
            for topic, data in published:
                await bus.publish(topic, data)
            if published:
                await hub.changed()
        except Exception:
            log.exception("checking dossiers about to be late failed")
        await asyncio.sleep(DOSSIER_POLL_S)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    hub = hub_of(app)
    tasks = [asyncio.create_task(listen(app, hub)), asyncio.create_task(poll_dossiers(app, hub)),
             asyncio.create_task(poll_logins(app, hub))]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


SEATS = Path(__file__).parent / "data" / "district_seats.json"


@lru_cache(maxsize=1)
def _seats() -> dict[str, list[float]]:
    return json.loads(SEATS.read_text(encoding="utf-8"))["seats"]


def unit_map(session: Session) -> list[dict[str, Any]]:
    """The unit set's local units for the schematic map: each district-level unit at the approximate position
    of its seat; in the communes set each commune and ward with its area (the former district it lies in)
    at that area's seat, which the page lays out as a tile map."""
    seats = _seats()
    chosen = unit_sets.current()
    if chosen is unit_sets.UnitSet.districts:
        units = session.execute(select(Unit).where(Unit.code.in_(list(seats))).order_by(Unit.code)).scalars()
        return [{"code": u.code, "name": u.short_name, "lon": seats[u.code][0], "lat": seats[u.code][1]}
                for u in units]
    seeded = {u.code for u in unit_sets.local_units(session, chosen)}
    out = []
    for m in unit_sets.members(chosen):
        if m.code in seeded:
            seat = seats[f"000.00.{m.area}.{m.code[-3:]}"]
            out.append({"code": m.code, "name": m.short_name, "label": m.label, "ward": m.division == "phường",
                        "area": m.area, "area_name": m.area_name, "lon": seat[0], "lat": seat[1]})
    return out


def dashboard_state(session: Session, hub: DashboardHub, period: str | None = None) -> dict[str, Any]:
    now = time.time()
    cameras = [camera_json(c, now) for c in session.execute(select(Camera).order_by(Camera.id)).unique().scalars()]
    states = [c["health"]["state"] for c in cameras]
    alerts = [alert_json(a) for a in session.execute(
        select(Alert).where(Alert.status.in_(("open", "acknowledged"))).order_by(Alert.id.desc()).limit(50)
    ).scalars()]
    by_severity = dict(session.execute(
        select(Alert.severity, func.count()).where(Alert.status == "open").group_by(Alert.severity)).all())
    events = [event_json(e) | {"camera": next((c["name"] for c in cameras if c["id"] == e.camera_id), "")}
              for e in session.execute(select(CameraEvent).order_by(CameraEvent.started_at.desc()).limit(12))
              .scalars()]
    figures = hub.figures(session, period)
    activity = _activity(session, now)
    return {
        "cameras": cameras,
        "camera_counts": {"total": len(cameras), "online": states.count("online"),
                          "offline": sum(s in ("offline", "misconfigured") for s in states),
                          "unknown": sum(s in ("unknown", "connecting") for s in states),
                          "people": sum(c["health"]["people"] for c in cameras)},
        "alerts": alerts,
        "alert_counts": {"open": sum(by_severity.values()), **by_severity,
                         "acknowledged": sum(1 for a in alerts if a["status"] == "acknowledged")},
        "events": events,
        "kpi": figures,
        "activity": activity,
        "units": unit_map(session),
        "dossier_period": period if period in kpi.DOSSIER_PERIODS else get_ops_settings().dossier_period,
    }


def _activity(session: Session, now: float, hours: float = 2.0, bucket_s: int = 300) -> dict[str, list[float]]:
    """Camera events per five minutes and the most people seen in them, for the chart."""
    start = int((now - hours * 3600) // bucket_s * bucket_s)
    times = list(range(start, int(now) + 1, bucket_s))
    events = [0.0] * len(times)
    people = [0.0] * len(times)
    since = datetime.fromtimestamp(start, UTC)
    for started, peak in session.execute(select(CameraEvent.started_at, CameraEvent.peak_people)
                                         .where(CameraEvent.started_at >= since)).all():
        at = as_utc(started)
        if at is None:
            continue
        i = min(len(times) - 1, int((at.timestamp() - start) // bucket_s))
        events[i] += 1
        people[i] = max(people[i], float(peak or 0))
    return {"t": [float(t) for t in times], "events": events, "people": people}


@router.get("/api/ops/dashboard")
def dashboard(request: Request, period: str | None = Query(None, description="dossier figures: " + ", ".join(
        kpi.DOSSIER_PERIODS)), session: Session = Depends(db), user: User = Depends(viewers)) -> dict[str, Any]:
    if period is not None and period not in kpi.DOSSIER_PERIODS:
        raise HTTPException(422, f"period: chọn một trong / one of {', '.join(kpi.DOSSIER_PERIODS)}")
    return dashboard_state(session, hub_of(request.app), period)


@router.websocket("/ops/ws")
async def dashboard_socket(websocket: WebSocket, user: User = Depends(viewers)) -> None:
    await websocket.accept()
    hub = hub_of(websocket.app)
    factory = sessionmaker_of(websocket)

    # The operator may pick the dossier period: {"period": "month"} from the page.
    choice: dict[str, str | None] = {"period": None}

    def build() -> dict[str, Any]:
        with factory() as session:
            return dashboard_state(session, hub, choice["period"])

    poke = asyncio.Event()
    closed = asyncio.create_task(_read_choices(websocket, choice, poke))
    last = ""
    sent_at = time.monotonic()
    seen = hub.version
    try:
        while not closed.done():
            state = await asyncio.to_thread(build)
            text = json.dumps(state, ensure_ascii=False, default=str, sort_keys=True)
            if text != last:
                await websocket.send_text(json.dumps({"type": "state", "at": time.time(), "state": state},
                                                     ensure_ascii=False, default=str))
                last, sent_at = text, time.monotonic()
            elif time.monotonic() - sent_at >= HEARTBEAT_S:
                await websocket.send_json({"type": "heartbeat", "at": time.time()})
                sent_at = time.monotonic()
            waiter = asyncio.create_task(hub.wait(seen, REFRESH_S))
            poked = asyncio.create_task(poke.wait())
            await asyncio.wait({waiter, closed, poked}, return_when=asyncio.FIRST_COMPLETED)
            poke.clear()
            for task in (waiter, poked):
                if not task.done():
                    task.cancel()
            if waiter.done() and not waiter.cancelled():
                seen = waiter.result()
    except WebSocketDisconnect:
        pass
    except Exception:
        if not closed.done():  # the page is still there: tell it, rather than leave it waiting on a dead feed
            log.exception("the dashboard feed failed")
            with contextlib.suppress(Exception):
                await websocket.close(1011, "lỗi máy chủ / server error")
    finally:
        closed.cancel()


async def _read_choices(websocket: WebSocket, choice: dict[str, str | None], poke: asyncio.Event) -> None:
    """Read what the page sends until it goes away; ignore anything that is not a known choice."""
    with contextlib.suppress(WebSocketDisconnect, RuntimeError):
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            try:
                period = json.loads(message.get("text") or "{}").get("period")
            except (ValueError, AttributeError):
                continue
            if period in kpi.DOSSIER_PERIODS:
                choice["period"] = period
                poke.set()
