"""The endpoint agent: log in, wait for the unit's meeting to go live, attend it, and after any
fault (network, media worker, server) come back with back-off and jitter until the meeting ends.
Health goes to the server every few seconds whatever the state, so operators see it too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from endpoints.backoff import Backoff
from endpoints.errors import FatalEndpointError, MeetingOver, ServerUnavailable, SessionLost
from endpoints.link_health import process_cpu_percent
from endpoints.server_client import ServerClient
from endpoints.session import MeetingSession
from endpoints.sink import counted
from endpoints.sources import MediaSet

log = logging.getLogger(__name__)

try:
    SOFTWARE_VERSION = version("giaoban")
except PackageNotFoundError:  # running from a source tree that was never installed
    SOFTWARE_VERSION = "0+source"

REJOIN_BACKOFF = dict(base=0.4, cap=3.0)  # rejoin well inside the 10 s target
START_BACKOFF = dict(base=1.0, cap=15.0)  # a server that is not up yet: no hurry, keep logging why


@dataclass
class Outage:
    started: float
    reason: str
    ended: float | None = None

    @property
    def seconds(self) -> float | None:
        return None if self.ended is None else round(self.ended - self.started, 2)


@dataclass
class AgentOptions:
    poll_interval: float = 2.0
    health_interval: float = 5.0
    sink_mode: str = "decode"


class EndpointAgent:
    def __init__(self, server: ServerClient, endpoint_id: str, media: MediaSet,
                 options: AgentOptions | None = None) -> None:
        self.server = server
        self.endpoint_id = endpoint_id
        self.media = media
        self.options = options or AgentOptions()
        self.status = "starting"
        self.session: MeetingSession | None = None
        self.meeting: dict[str, Any] | None = None
        self.outages: list[Outage] = []
        self.last_error = ""
        self.started = time.time()
        self._over: set[int] = set()
        self._stop = asyncio.Event()
        self.media.on_state = self._device_state
        self.history: list[tuple[float, str]] = []

    # -- public ------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> int:
        """Exit code: 0 when stopped, FatalEndpointError.exit_code on a fault retrying cannot fix."""
        health = asyncio.ensure_future(self._health_loop())
        try:
            await self._until_stopped(self._main())
            return 0
        except FatalEndpointError as exc:
            self._set_status("failed")
            log.error("%s: %s", self.endpoint_id, exc)
            self.last_error = str(exc)
            return exc.exit_code
        finally:
            health.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await health
            if self.session is not None:
                await self.session.leave()
            self.media.close()
            await self.server.close()

    async def _until_stopped(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        stopper = asyncio.ensure_future(self._stop.wait())
        done, _ = await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        for pending in (task, stopper):
            if pending not in done:
                pending.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pending
        if task in done:
            task.result()

    # -- the loop ----------------------------------------------------------------------------------

    async def _main(self) -> None:
        await self._login()
        backoff = Backoff(**REJOIN_BACKOFF)
        while True:
            meeting = await self._wait_for_meeting()
            self.meeting = meeting
            session = self.session = MeetingSession(self.server, int(meeting["id"]), self.media,
                                                    self.options.sink_mode, on_status=self._session_status)
            self._set_status("joining" if not self._in_outage() else "reconnecting")
            try:
                await session.run()
            except MeetingOver as exc:
                log.info("%s: meeting %s over for us: %s", self.endpoint_id, meeting["id"], exc)
                self._over.add(int(meeting["id"]))
                self._end_outage(success=False)
                backoff.reset()
            except SessionLost as exc:
                self.last_error = str(exc)
                if session.media_since is not None:
                    backoff.reset()  # it worked until now: this is a new outage, start quickly
                self._begin_outage(str(exc))
                delay = backoff.next_delay()
                log.warning("%s: session lost (%s); rejoining in %.1f s", self.endpoint_id, exc, delay)
                self._set_status("reconnecting")
                await asyncio.sleep(delay)
            finally:
                self.session = None

    def _session_status(self, status: str) -> None:
        if status == "in_meeting":
            self._end_outage(success=True)
        elif status == "reconnecting":  # the server lost our media session and asked for a new offer
            # It asks once the worker is back: the outage began when our media went quiet.
            quiet = self.session.monitor.silent_for() if self.session is not None else 0.0
            self._begin_outage("media session lost on the server; renegotiating", time.time() - quiet)
        self._set_status(status)

    async def _login(self) -> None:
        backoff = Backoff(**START_BACKOFF)
        while True:
            self._set_status("connecting")
            try:
                user = await self.server.login()
                log.info("%s: logged in to %s as %s (%s)", self.endpoint_id, self.server.base, user.get("username"),
                         user.get("unit_name"))
                return
            except ServerUnavailable as exc:
                self.last_error = str(exc)
                delay = backoff.next_delay()
                log.warning("%s: server unreachable (%s); retrying in %.1f s", self.endpoint_id, exc, delay)
                await asyncio.sleep(delay)

    async def _wait_for_meeting(self) -> dict[str, Any]:
        backoff = Backoff(**REJOIN_BACKOFF)
        waiting_logged = False
        while True:
            try:
                meeting = await self.server.live_meeting()
            except ServerUnavailable as exc:
                self.last_error = str(exc)
                delay = backoff.next_delay()
                log.warning("%s: server unreachable (%s); retrying in %.1f s", self.endpoint_id, exc, delay)
                if not self._in_outage():
                    self._set_status("connecting")
                await asyncio.sleep(delay)
                continue
            backoff.reset()
            if meeting is not None and int(meeting["id"]) not in self._over:
                return meeting
            if self._in_outage():
                self._end_outage(success=False)  # the meeting ended while we were away
            if not waiting_logged:
                log.info("%s: no live meeting for this unit yet; checking every %.0f s", self.endpoint_id,
                         self.options.poll_interval)
                waiting_logged = True
            self.meeting = None
            self._set_status("waiting")
            await asyncio.sleep(self.options.poll_interval)

    # -- outages and status ------------------------------------------------------------------------

    def _in_outage(self) -> bool:
        return bool(self.outages) and self.outages[-1].ended is None

    def _begin_outage(self, reason: str, started: float | None = None) -> None:
        if not self._in_outage():
            self.outages.append(Outage(started or time.time(), reason))

    def _end_outage(self, success: bool) -> None:
        if self._in_outage():
            outage = self.outages[-1]
            if success:
                outage.ended = time.time()
                log.info("%s: back in the meeting after %.1f s (%s)", self.endpoint_id, outage.seconds, outage.reason)
            else:
                self.outages.pop()

    def _set_status(self, status: str) -> None:
        if status != self.status:
            self.status = status
            self.history.append((time.time(), status))
            del self.history[:-50]

    def _device_state(self, kind: str, state: str) -> None:
        device = "camera" if kind == "video" else "microphone"
        if state == "lost":
            self.last_error = f"{device} lost"

    # -- health ------------------------------------------------------------------------------------

    def health_report(self) -> dict[str, Any]:
        session = self.session
        figures = dict(session.monitor.figures) if session is not None and session.pc is not None else {}
        done = [o.seconds for o in self.outages if o.seconds is not None]
        return {
            "status": self.status,
            "meeting_id": int(self.meeting["id"]) if self.meeting and self.status != "waiting" else None,
            "meeting_title": ((self.meeting or {}).get("title") or "") if self.status != "waiting" else "",
            "camera": self.media.camera_state,
            "microphone": self.media.microphone_state,
            "cpu_pct": process_cpu_percent(),
            "bitrate_out_kbps": figures.get("bitrate_out_kbps"),
            "bitrate_in_kbps": figures.get("bitrate_in_kbps"),
            "loss_pct": max(figures.get("loss_in_pct") or 0, figures.get("loss_out_pct") or 0) if figures else None,
            "rtt_ms": figures.get("rtt_ms"),
            "software_version": SOFTWARE_VERSION,
            "host": socket.gethostname(),
            "rejoins": len(done),
            "last_rejoin_s": done[-1] if done else None,
            "last_error": self.last_error[:300],
            "uptime_s": round(time.time() - self.started),
            "showing": session.showing() if session is not None else [],
            # Fleet processes count received frames instead of decoding them (sink.py); shared by the process.
            "received_frames_process": counted() if self.options.sink_mode == "count" else None,
        }

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(self.options.health_interval)
            if self.server.token is None:
                continue
            try:
                await self.server.report_health(self.endpoint_id, self.health_report())
            except ServerUnavailable as exc:
                log.debug("health report not delivered: %s", exc)
            except FatalEndpointError as exc:
                log.debug("health report refused: %s", exc)
