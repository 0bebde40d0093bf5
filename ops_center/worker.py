"""One ingest thread per camera: read, reconnect with backoff, analyse, report.

OpenCV releases the GIL while it waits on the network and decodes, so plain
threads give each camera its own reader without one slow camera holding up
the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ops_center.analytics.events import MotionEvent
from ops_center.analytics.geometry import Polygon
from ops_center.analytics.motion import MotionSettings
from ops_center.analytics.pipeline import Analysis, CameraAnalytics
from ops_center.capture import BadStreamURL, Frame, StreamReader, check_stream_url, jpeg_size, redact
from ops_center.clips import ClipWriter
from ops_center.health import CameraHealth, Transition
from ops_center.latest_picture import LatestPictures
from ops_center.rtsp_capture import RtspReader, StreamFault

log = logging.getLogger(__name__)

Emit = Callable[[str, dict], None]
GARBAGE_LIMIT = 25  # undecodable packets in a row before the connection is dropped and retried


@dataclass
class CameraConfig:
    id: str
    name: str
    url: str
    substream_url: str | None = None
    zones: list[Polygon] = field(default_factory=list)
    masks: list[Polygon] = field(default_factory=list)
    analysis_fps: float = 5.0
    people_fps: float = 2.0
    transport: str = "tcp"  # RTSP: tcp (interleaved, through firewalls) or udp

    @property
    def analysis_url(self) -> str:
        """The substream when the camera has one: that is what keeps analysis cheap."""
        return self.substream_url or self.url


class CameraWorker:
    def __init__(self, config: CameraConfig, emit: Emit, clips: ClipWriter | None = None, *,
                 pictures: LatestPictures | None = None, offline_after_s: float = 5.0,
                 open_timeout_s: float = 5.0, read_timeout_s: float = 4.0,
                 backoff_max_s: float = 5.0, people: bool = True,
                 motion: MotionSettings | None = None) -> None:
        self.config = config
        self.emit = emit
        self.clips = clips
        self.pictures = pictures
        self.health = CameraHealth(offline_after_s)
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.backoff_max_s = backoff_max_s
        self.analytics = CameraAnalytics(config.id, zones=config.zones, masks=config.masks,
                                         analysis_fps=config.analysis_fps,
                                         people_fps=config.people_fps if people else None, motion=motion)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"camera-{config.id}", daemon=True)
        self._last_people: tuple[int, list[int] | None] = (-1, None)
        self._zone_people: list[int] | None = None

    # -- lifecycle ----------------------------------------------------------
    def start(self) -> CameraWorker:
        self._thread.start()
        return self

    def request_stop(self) -> None:
        self._stop.set()

    def stop(self, timeout: float = 6.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def send(self, kind: str, payload: dict) -> None:
        try:
            self.emit(kind, {"camera_id": self.config.id, **payload})
        except Exception:  # a failing consumer must not kill the reader
            log.exception("emitting %s for camera %s failed", kind, self.config.id)

    def announce(self, tr: Transition | None) -> None:
        if tr is not None:
            log.info("camera %s: %s %s", self.config.id, tr.kind, tr.detail)
            self.send(tr.kind, {"at": tr.at, **tr.detail})

    # -- reading ------------------------------------------------------------
    def _open(self) -> StreamReader | RtspReader:
        url = check_stream_url(self.config.analysis_url)
        if url.lower().startswith(("rtsp://", "rtsps://")):
            return RtspReader(url, transport=self.config.transport, open_timeout_s=self.open_timeout_s,
                              read_timeout_s=self.read_timeout_s)
        return StreamReader(url, open_timeout_s=self.open_timeout_s, read_timeout_s=self.read_timeout_s)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            try:
                reader = self._open()
            except BadStreamURL as exc:
                log.error("camera %s: %s", self.config.id, exc)
                self.announce(self.health.misconfigured(str(exc)))
                return
            except Exception as exc:  # unreachable, refused, not a stream: retry later
                # Say it once per kind of failure; a camera down for a day must not fill the log.
                message = redact(str(exc))
                level = logging.DEBUG if message == self.health.last_error else logging.WARNING
                self.health.error(message, fault=getattr(exc, "kind", "unreachable"))
                log.log(level, "camera %s: %s (retry in %.0f s)", self.config.id, message, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)
                continue
            frames_before = self.health.frames
            reopen_now = False
            try:
                if isinstance(reader, RtspReader):
                    self._read_rtsp(reader)
                else:
                    self._read(reader)
            except StreamFault as exc:
                self.health.error(str(exc), fault=exc.kind)
                log.warning("camera %s: %s", self.config.id, exc)
                # A new resolution is a new stream: open it again at once, with fresh analytics.
                reopen_now = exc.kind == "resolution_changed"
            except Exception as exc:
                self.health.error(f"{type(exc).__name__}: {exc}")
                log.error("camera %s: reader failed: %s", self.config.id, redact(f"{type(exc).__name__}: {exc}"))
            finally:
                reader.close()
                ended = self.analytics.interrupt()
                if ended is not None:
                    self._finish(ended)
            if self.health.frames > frames_before:
                backoff = 1.0
            if not self._stop.is_set() and not reopen_now:
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.backoff_max_s)

    def _read_rtsp(self, reader: RtspReader) -> None:
        """Decode the substream, copy out only the pictures the analysis rate picks."""
        period = 1.0 / self.config.analysis_fps
        next_analysis = 0.0
        decided = False
        clock = 0.0
        for picture in reader.pictures(self._stop.is_set):
            now = picture.at
            self._frame_arrived(now, (picture.video.width, picture.video.height))
            if not decided and reader.keyframe_interval_s is not None:
                # Keyframes at least as often as the analysis ticks: decode nothing else.
                reader.keyframes_only(reader.keyframe_interval_s <= period * 1.05)
                decided = True
            clock = picture.clock if picture.clock is not None else clock
            if clock < next_analysis - 0.25 * period:
                continue
            next_analysis = max(next_analysis + period, clock + period * 0.5)
            frame = Frame.from_video(now, picture.video)
            result = self.analytics.process(frame)
            if result is not None:
                self._report(result, now, frame)

    def _read(self, reader: StreamReader) -> None:
        period = 1.0 / self.config.analysis_fps
        next_analysis = 0.0
        garbage = 0
        pace = 1.0 / reader.fps_hint if reader.is_file and reader.fps_hint > 0 else 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            if not reader.grab():
                self.health.error("luồng kết thúc hoặc quá thời gian chờ / stream ended or timed out")
                return
            if time.monotonic() - started >= self.read_timeout_s * 0.9:
                # The read timed out and FFmpeg handed over what its decoder still held: an old
                # picture, not a sign of life. Counting it would delay the offline alarm.
                self.health.error("luồng bị treo / stream stalled")
                return
            if pace:
                self._stop.wait(pace)  # a file plays at its own speed, like a camera
            now = time.time()
            frame: Frame | None = None
            if reader.raw:
                frame = reader.retrieve()
                size = jpeg_size(frame.jpeg) if frame and frame.jpeg else None
                if size is None:
                    garbage += 1
                    if garbage == 1 or garbage % GARBAGE_LIMIT == 0:
                        self.health.error("dữ liệu không phải JPEG / undecodable frame data")
                    if garbage >= GARBAGE_LIMIT:
                        return
                    continue
                garbage = 0
                self._frame_arrived(now, size)
            # A little slack so that frames arriving a few ms early are not skipped.
            early = now < next_analysis - 0.25 * period
            if early and not reader.raw:
                self.announce(self.health.frame(now))
            if early:
                continue
            next_analysis = max(next_analysis + period, now + period * 0.5)
            if frame is None:
                frame = reader.retrieve()
                if frame is None or frame.image is None:
                    self.health.error("không giải mã được khung hình / could not decode frame")
                    continue
                h, w = frame.image.shape[:2]
                self._frame_arrived(now, (w, h))
            result = self.analytics.process(frame)
            if result is None:
                garbage += 1
                self.health.error("không giải mã được khung hình / could not decode frame")
                if garbage >= GARBAGE_LIMIT:
                    return
                continue
            self._report(result, now, frame)

    def _frame_arrived(self, now: float, size: tuple[int, int]) -> None:
        previous = self.health.resolution
        if previous is not None and previous != size:
            msg = f"độ phân giải đổi / resolution changed {previous[0]}x{previous[1]} -> {size[0]}x{size[1]}"
            log.warning("camera %s: %s", self.config.id, msg)
            self.health.error(msg)
            ended = self.analytics.interrupt()
            if ended is not None:
                self._finish(ended)
            self.send("camera.resolution", {"at": now, "from": list(previous), "to": list(size)})
        self.health.resolution = size
        self.announce(self.health.frame(now))

    def _report(self, result: Analysis, now: float, frame: Frame) -> None:
        self.health.analysed_frame(now)
        if self.pictures is not None:
            self.pictures.offer(self.config.id, frame, now)
        if result.started is not None:
            self.send("motion.start", {**result.started.as_dict(), "at": now})
        count = self.analytics.people_now(now)
        if result.zone_people is not None or count == 0:
            self._zone_people = result.zone_people if count else None
        if (count, self._zone_people) != self._last_people:
            self._last_people = (count, self._zone_people)
            self.send("people.count", {"at": now, "count": count, "zones": self._zone_people})
        if result.ended is not None:
            self._finish(result.ended)

    def _finish(self, event: MotionEvent) -> None:
        media = self.clips.submit(event) if self.clips else None
        self.send("motion.end", {
            **event.as_dict(), "at": time.time(),
            "snapshot": str(media.snapshot) if media and media.snapshot else None,
            "clip": str(media.clip) if media and media.clip else None,
        })
        if not self.clips:
            event.frames = []
