"""The cameras this ingest node holds, as publishers in the wall room.

Each camera whose main stream is RTSP gets a `CameraPublisher` (a WebRTC session with the media
workers, idle until needed) as soon as this node holds its lease, and loses it with the lease:
the camera is published from exactly one place, and another node that takes it over publishes
it again under the same name. Its main stream is read (demuxed, never decoded) only while some
wall shows it: the media workers say so with `publish_hint` events, so a hundred idle cameras
cost a hundred quiet sessions, not a hundred streams. HTTP MJPEG cameras are not published: the
wall shows their MJPEG directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from ops_center.main_stream import MainStreamReader
from ops_center.wall_media import WALL_ROOM, WallLink, WallMedia, camera_participant
from ops_center.wall_publisher import CameraPublisher
from ops_center.worker import CameraConfig

log = logging.getLogger(__name__)
GONE_STATES = ("failed", "closed")


def publishes_to_wall(config: CameraConfig) -> bool:
    return config.url.lower().startswith(("rtsp://", "rtsps://"))


@dataclass
class _Feed:
    config: CameraConfig
    publisher: CameraPublisher | None = None
    reader: MainStreamReader | None = None
    watched: bool = False
    stale: bool = False  # its session ended: publish again at the next round
    tasks: set[asyncio.Task] = field(default_factory=set)


class WallFeeds:
    def __init__(self, link: WallLink | None = None) -> None:
        self.link = link or WallLink()
        self.feeds: dict[str, _Feed] = {}
        self._events: asyncio.Task | None = None
        self._media: WallMedia | None = None
        self._warned = False
        # Told (camera id, codec) each time a main stream is opened: the ingest records it and
        # raises an alert for a codec the wall cannot forward. Called from the reader's thread.
        self.on_codec: Callable[[str, str], None] | None = None

    async def apply(self, configs: list[CameraConfig]) -> None:
        """Publish exactly the RTSP cameras in `configs` (those this node holds); called every ownership round."""
        wanted = {c.id: c for c in configs if publishes_to_wall(c)}
        for cid in [cid for cid, feed in self.feeds.items() if wanted.get(cid) != feed.config or feed.stale]:
            await self._drop(self.feeds.pop(cid))
        missing = [c for cid, c in wanted.items() if cid not in self.feeds]
        if not missing:
            return
        try:
            media = await self._connected()
        except Exception as exc:  # no media workers (yet): the wall shows these cameras as unavailable
            if not self._warned:
                log.warning("camera wall: media workers unavailable (%s); retrying every round", exc)
                self._warned = True
            return
        self._warned = False
        for config in missing:
            # Known before its session is up, so that the hint that follows finds it.
            feed = self.feeds[config.id] = _Feed(config, publisher=CameraPublisher(config.id, media))
            try:
                await feed.publisher.connect()
            except Exception as exc:
                log.warning("camera %s: not published on the wall: %s", config.id, exc)
                del self.feeds[config.id]
                await feed.publisher.close()
                if self._media is not None:
                    await self.link.reset(self._media)
                    self._media = None
                return

    async def _connected(self) -> WallMedia:
        media = await self.link.media()
        if media is not self._media:
            if self._events is not None:
                self._events.cancel()
            self._media = media
            self._events = asyncio.ensure_future(self._listen(media))
        return media

    async def _listen(self, media: WallMedia) -> None:
        by_participant = lambda pid: next(  # noqa: E731
            (f for cid, f in self.feeds.items() if camera_participant(cid) == pid), None)
        async for event in media.events():
            kind = getattr(event, "event", None)
            if kind == "worker_lost":
                for feed in self.feeds.values():
                    feed.stale = True  # sessions on that worker are gone; cheap to redo all
                continue
            if getattr(event, "room", None) != WALL_ROOM:
                continue
            feed = by_participant(getattr(event, "participant", None))
            if feed is None:
                continue
            if kind == "publish_hint":
                self._watch(feed, bool(event.active))
            elif kind == "connection" and event.state in GONE_STATES:
                feed.stale = True

    def _watch(self, feed: _Feed, watched: bool) -> None:
        """Read the main stream while someone shows the camera; stop when nobody does."""
        feed.watched = watched
        if watched and feed.reader is None and feed.publisher is not None:
            config = feed.config
            report = self.on_codec
            feed.reader = MainStreamReader(config.id, config.url, feed.publisher.push, transport=config.transport,
                                           on_codec=(lambda codec, cid=config.id: report(cid, codec))
                                           if report else None).start()
            log.info("camera %s: on a wall, reading its main stream", config.id)
        elif not watched and feed.reader is not None:
            reader, feed.reader = feed.reader, None
            self._spawn(feed, asyncio.to_thread(reader.stop))
            log.info("camera %s: on no wall, main stream closed", feed.config.id)

    @staticmethod
    def _spawn(feed: _Feed, work) -> None:  # type: ignore[no-untyped-def]
        task = asyncio.ensure_future(work)
        feed.tasks.add(task)
        task.add_done_callback(feed.tasks.discard)

    async def _drop(self, feed: _Feed) -> None:
        if feed.reader is not None:
            await asyncio.to_thread(feed.reader.stop)
            feed.reader = None
        if feed.publisher is not None:
            await feed.publisher.close()
        if feed.tasks:
            await asyncio.gather(*feed.tasks, return_exceptions=True)

    def status(self) -> dict[str, dict]:
        """Per camera: what the wall can expect (for logs and the bench)."""
        out = {}
        for cid, feed in self.feeds.items():
            reader = feed.reader
            out[cid] = {"watched": feed.watched, "session": feed.publisher.connection_state if feed.publisher else None,
                        "stream": reader.state if reader else "idle",
                        "codec": reader.codec if reader else None,
                        "profile": reader.profile.profile_level_id if reader and reader.profile else None,
                        "units": feed.publisher.units if feed.publisher else 0}
        return out

    async def close(self) -> None:
        for feed in list(self.feeds.values()):
            await self._drop(feed)
        self.feeds.clear()
        if self._events is not None:
            self._events.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._events
        await self.link.close()
