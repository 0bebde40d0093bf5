"""One attendance of one meeting: the signaling socket (protocol v1 from `core.protocols.signaling`, a
pure schema module), the WebRTC connection that publishes audio + high + low and receives the
slots the server offers, and the watchdog that declares the session lost when media stops
arriving. The session never retries by itself: the agent decides (errors.py)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCRtpSender, RTCSessionDescription
from pydantic import ValidationError
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from core.protocols import signaling as p
from endpoints.errors import FatalEndpointError, MeetingOver, SessionLost
from endpoints.link_health import LinkMonitor
from endpoints.server_client import ServerClient
from endpoints.sink import Sink
from endpoints.sources import MediaSet

log = logging.getLogger(__name__)

# The SFU sends RTCP every second, so silence means the path is gone; but a loaded SFU (or this host)
# can stall for a few seconds, and every false alarm costs a rejoin: five seconds.
MEDIA_SILENCE_S = 5.0
CONNECT_TIMEOUT_S = 10.0  # from the answer to ICE+DTLS connected
REPLY_TIMEOUT_S = 15.0  # a slow answer is better than a retry that adds to the server's load
SAMPLE_EVERY_S = 1.0
PING_EVERY_S = 2.0  # lets the server tell a live socket from one whose network is gone
# Errors after which rejoining this meeting cannot help.
FINAL_CODES = {"not_invited": "không được mời / not invited", "meeting_ended": "đã kết thúc / ended",
               "not_found": "không tồn tại / no such meeting", "role_not_allowed": "vai trò / role refused"}


class _NewOfferWanted(Exception):
    """The server asked for a new offer while one was being negotiated."""


def _codec_preferences(kind: str, codec: str) -> list[Any]:
    wanted = "audio/opus" if kind == "audio" else f"video/{codec}".lower()
    caps = RTCRtpSender.getCapabilities(kind).codecs
    main = [c for c in caps if c.mimeType.lower() == wanted]
    if kind == "video" and codec == "h264":
        main = [c for c in main if c.parameters.get("packetization-mode") == "1"][:1] or main[:1]
    rtx = [c for c in caps if c.mimeType.lower() == f"{kind}/rtx"]
    return main + rtx


class MeetingSession:
    def __init__(self, server: ServerClient, meeting_id: int, media: MediaSet, sink_mode: str = "decode",
                 on_status: Callable[[str], None] | None = None) -> None:
        self.server = server
        self.meeting_id = meeting_id
        self.media = media
        self.sink_mode = sink_mode
        self.on_status = on_status or (lambda status: None)
        self.monitor = LinkMonitor()
        self.pc: RTCPeerConnection | None = None
        self.sink: Sink | None = None
        self.ws: ClientConnection | None = None
        self.welcome: p.Welcome | None = None
        self.layout: list[p.LayoutSlot] = []
        self.speaker: str | None = None
        self.media_since: float | None = None
        self.joined_at: float | None = None
        self._refs = itertools.count(1)
        self._negotiating = False
        self._senders: dict[str, RTCRtpSender] = {}
        self.paused: set[str] = set()  # video layers not sent: nobody receives them (`publish_hint`)

    # -- running ---------------------------------------------------------------------------------

    async def run(self) -> None:
        """Until the meeting ends (MeetingOver) or the session breaks (SessionLost)."""
        headers = self.server.headers
        try:
            async with connect(self.server.ws_url(self.meeting_id), additional_headers=headers, open_timeout=5,
                               ping_interval=5, ping_timeout=10, close_timeout=1, max_size=2**22) as ws:
                self.ws = ws
                try:
                    await self._join()
                    await self._negotiate()
                    await self._serve()
                except asyncio.CancelledError:
                    await self._goodbye()  # stopping: the record should say "left", not "disconnected"
                    raise
        except ConnectionClosed as exc:
            raise self._closed(exc) from exc
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                self.server.token = None  # expired or revoked: the next request logs in again
                raise SessionLost(f"socket refused with HTTP {status}: logging in again") from exc
            raise SessionLost(f"socket refused with HTTP {status}") from exc
        except (OSError, TimeoutError, InvalidHandshake) as exc:
            raise SessionLost(f"signaling socket: {type(exc).__name__}: {exc}") from exc
        finally:
            await self.close()

    def _closed(self, exc: ConnectionClosed) -> Exception:
        code = exc.rcvd.code if exc.rcvd is not None else None
        reason = exc.rcvd.reason if exc.rcvd is not None else ""
        if code == 4001:
            return MeetingOver("the meeting ended")
        if code == 4000:
            return MeetingOver(f"removed from the meeting by the host{': ' + reason if reason else ''}")
        if code == 4401:
            self.server.token = None  # expired or revoked: the next request logs in again
            return SessionLost("signaling socket closed (4401, login required): logging in again")
        if code == 4403:
            return FatalEndpointError("the server refuses this account on meeting sockets (4403)")
        return SessionLost(f"signaling socket closed ({code if code is not None else 'no close frame'}"
                           f"{' ' + reason if reason else ''})")

    async def _send(self, message: Any) -> str:
        ref = f"r{next(self._refs)}"
        message.ref = ref
        assert self.ws is not None
        await self.ws.send(p.encode(message))
        return ref

    async def _read(self, timeout: float) -> Any | None:
        assert self.ws is not None
        try:
            text = await asyncio.wait_for(self.ws.recv(), timeout)
        except TimeoutError:
            return None
        try:
            return p.server_adapter.validate_json(text)
        except ValidationError:
            kind = json.loads(text).get("type") if text.startswith("{") else None
            log.debug("ignoring a message this agent does not know: %s", kind)
            return False

    async def _reply(self, ref: str, kinds: set[str]) -> Any:
        """Read until the reply to `ref`, handling whatever else arrives meanwhile."""
        deadline = time.monotonic() + REPLY_TIMEOUT_S
        while time.monotonic() < deadline:
            message = await self._read(max(0.05, deadline - time.monotonic()))
            if not message:
                continue
            if message.type == "error" and message.ref == ref:
                if message.code in FINAL_CODES:
                    raise MeetingOver(f"{message.code}: {message.message}")
                raise SessionLost(f"{message.code}: {message.message}")
            if message.type in kinds and getattr(message, "ref", ref) in (ref, None):
                return message
            await self._handle(message)
        raise SessionLost(f"no {'/'.join(sorted(kinds))} from the server within {REPLY_TIMEOUT_S:.0f} s")

    async def _join(self) -> None:
        ref = await self._send(p.Join(role="district", meeting=self.meeting_id))
        self.welcome = await self._reply(ref, {"welcome"})
        self.joined_at = time.time()
        log.info("joined meeting %s (%s) as %s", self.meeting_id, self.welcome.meeting.title,
                 self.welcome.you.participant)

    async def _negotiate(self) -> None:
        """A fresh connection for every (re)negotiation: the server replaces the media session too.
        A `renegotiate` that arrives meanwhile (the session being set up was lost as well) starts
        it again with a new offer; the answer to the old one is then passed over by its ref."""
        self._negotiating = True
        try:
            while True:
                try:
                    await self._offer_and_connect()
                    return
                except _NewOfferWanted:
                    log.info("server asks for a new offer while negotiating; offering again")
        finally:
            self._negotiating = False

    async def _offer_and_connect(self) -> None:
        assert self.welcome is not None
        await self._close_media()
        codec = self.welcome.meeting.video_codec
        self.pc = pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.sink = sink = Sink(self.sink_mode, title=self.media.name)
        self.monitor = LinkMonitor()
        wanted = list(self.welcome.publish)
        tracks = [(layer, track) for layer, track in self.media.tracks(codec) if layer in wanted]
        # A new media session: every layer sends until the SFU says nobody receives it.
        self._senders = self.media.attach(pc, tracks)
        self.paused = set()
        for _ in range(self.welcome.slots.video):
            pc.addTransceiver("video", direction="recvonly")
        for _ in range(self.welcome.slots.audio):
            pc.addTransceiver("audio", direction="recvonly")
        for transceiver in pc.getTransceivers():
            transceiver.setCodecPreferences(_codec_preferences(transceiver.kind, codec))
        received = itertools.count()
        pc.on("track", lambda track: sink.add(track, next(received)))
        await pc.setLocalDescription(await pc.createOffer())
        ref = await self._send(p.Offer(sdp=pc.localDescription.sdp, meeting=self.meeting_id))
        answer = await self._reply(ref, {"answer"})
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
        deadline = time.monotonic() + CONNECT_TIMEOUT_S
        while pc.connectionState != "connected":
            if pc.connectionState in ("failed", "closed") or time.monotonic() > deadline:
                raise SessionLost(f"media connection {pc.connectionState} after {CONNECT_TIMEOUT_S:.0f} s")
            message = await self._read(0.1)
            if message:
                await self._handle(message)
        self.media_since = time.time()
        self.monitor.last_arrival = time.monotonic()
        self.on_status("in_meeting")
        log.info("media connected (%s, publishing %s)", codec, ", ".join(layer for layer, _ in tracks))

    async def _serve(self) -> None:
        next_sample = next_ping = 0.0
        while True:
            message = await self._read(0.25)
            if message:
                await self._handle(message)
            now = time.monotonic()
            if now >= next_ping:
                next_ping = now + PING_EVERY_S
                await self._send(p.Ping())
            if now >= next_sample and self.pc is not None:
                next_sample = now + SAMPLE_EVERY_S
                await self.monitor.sample(self.pc)
                if self.pc.connectionState in ("failed", "closed"):
                    raise SessionLost(f"media connection {self.pc.connectionState}")
                if self.monitor.silent_for() > MEDIA_SILENCE_S:
                    raise SessionLost(f"no media from the server for {self.monitor.silent_for():.1f} s")

    async def _handle(self, message: Any) -> None:
        kind = message.type
        if kind == "meeting_ended":
            raise MeetingOver(f"the meeting was ended by {message.by}")
        if kind == "removed" and self.welcome is not None and message.participant == self.welcome.you.participant:
            raise MeetingOver(f"removed from the meeting by {message.by}")
        if kind == "renegotiate":
            # Its media session is gone (its worker died, or the connection failed): a new offer on
            # this socket is quicker than noticing the silence and rejoining. Not a negotiation
            # inside the one under way: that one would wait on for a reply the inner one read.
            if self._negotiating:
                raise _NewOfferWanted
            log.info("server asks for a new offer (%s)", message.reason)
            self.on_status("reconnecting")
            await self._negotiate()
        elif kind == "layout":
            self.layout = message.slots
        elif kind == "speaker":
            self.speaker = message.participant
        elif kind == "publish_hint":
            self._publish_hint(message.layer, message.active)
        elif kind == "error":
            log.warning("server error %s: %s", message.code, message.message)

    def _publish_hint(self, layer: str, active: bool) -> None:
        """Pause a video layer nobody receives, as browsers do (sender encodings `active`): the SFU
        would only receive, decrypt and drop it. aiortc's sender then still reads its track, so a
        clip or camera stays in time, but encodes and sends nothing; on resume it starts with a
        keyframe (the subscriber's decoder needs one; the SFU's own request may have come first)."""
        sender = self._senders.get(layer)
        if sender is None or (layer in self.paused) != active:
            return
        if active:
            self.paused.discard(layer)
            sender._send_keyframe()  # for a clip, hooked to jump to its next keyframe (clip_tracks.py)
        else:
            self.paused.add(layer)
        sender._enabled = active  # what RTCRtpSender checks before encoding each frame
        log.info("%s layer %s (publish_hint)", "resuming" if active else "pausing", layer)

    # -- state -----------------------------------------------------------------------------------

    def showing(self) -> list[str]:
        return [slot.source for slot in self.layout if slot.kind == "video" and slot.source]

    async def _close_media(self) -> None:
        if self.sink is not None:
            await self.sink.stop()
            self.sink = None
        if self.pc is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.pc.close(), 3)
            self.pc = None

    async def close(self) -> None:
        await self._close_media()
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 1.5)
            self.ws = None

    async def _goodbye(self) -> None:
        if self.ws is not None and self.welcome is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.send(p.encode(p.Leave(meeting=self.meeting_id))), 1)

    async def leave(self) -> None:
        """A polite goodbye (the agent is stopping): the attendance closes as "left", not "disconnected"."""
        await self._goodbye()
        await self.close()
