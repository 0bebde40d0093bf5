"""Snapshots and short clips of events, written off the ingest threads, and their retention."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from ops_center.analytics.events import MotionEvent
from ops_center.analytics.people import draw_people

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EventMedia:
    snapshot: Path | None
    clip: Path | None


def media_paths(root: Path, event: MotionEvent) -> EventMedia:
    day = time.strftime("%Y%m%d", time.gmtime(event.start))
    base = root / str(event.camera_id) / day / event.id
    return EventMedia(snapshot=base.with_suffix(".jpg"), clip=base.with_suffix(".mp4"))


def write_clip(path: Path, frames: list[np.ndarray], fps: float) -> None:
    """H.264 in MP4, which every browser plays; frames must share one size."""
    if not frames:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".part.mp4")
    h, w = frames[0].shape[:2]
    w, h = w - w % 2, h - h % 2
    rate = Fraction(fps).limit_denominator(1000)
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height, stream.pix_fmt = w, h, "yuv420p"
        stream.options = {"preset": "ultrafast", "crf": "28"}
        for img in frames:
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(img[:h, :w]), format="bgr24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    tmp.replace(path)


class ClipWriter:
    """One background thread that turns finished events into a snapshot and a clip."""

    def __init__(self, root: Path, fps: float, on_written: Callable[[MotionEvent, EventMedia], None] | None = None,
                 clips: bool = True) -> None:
        self.root = root
        self.fps = fps
        self.on_written = on_written
        self.clips = clips
        self._queue: queue.Queue[MotionEvent | None] = queue.Queue(maxsize=64)
        self._thread = threading.Thread(target=self._run, name="clip-writer", daemon=True)
        self._thread.start()

    def submit(self, event: MotionEvent) -> EventMedia:
        media = media_paths(self.root, event)
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            log.warning("clip writer is behind; event %s keeps no media", event.id)
            return EventMedia(None, None)
        return media if self.clips else EventMedia(media.snapshot, None)

    def close(self, timeout: float = 10.0) -> None:
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            try:
                media = self._write(event)
            except Exception:  # a bad frame must not stop the writer for every camera
                log.exception("writing media for event %s failed", event.id)
                continue
            if self.on_written:
                self.on_written(event, media)

    def _write(self, event: MotionEvent) -> EventMedia:
        media = media_paths(self.root, event)
        assert media.snapshot is not None and media.clip is not None
        media.snapshot.parent.mkdir(parents=True, exist_ok=True)
        shot = event.snapshot or (event.frames[len(event.frames) // 2] if event.frames else None)
        data = None
        if shot is not None and event.snapshot_boxes and (image := shot.color()) is not None:
            # The people the detector counted, boxed, so an operator sees what the count is made of.
            ok, buf = cv2.imencode(".jpg", draw_people(image, event.snapshot_boxes), [cv2.IMWRITE_JPEG_QUALITY, 85])
            data = buf.tobytes() if ok else None
        elif shot is not None:
            data = shot.to_jpeg()
        if data:
            media.snapshot.write_bytes(data)
        clip = None
        if self.clips:
            images = [img for f in event.frames if (img := f.color()) is not None]
            if images:
                size = images[-1].shape
                write_clip(media.clip, [i for i in images if i.shape == size], self.fps)
                clip = media.clip
        event.frames = []  # the frames are on disk now; let them go
        return EventMedia(media.snapshot if data else None, clip)


def prune_media(root: Path, max_age_days: float, max_bytes: int, now: float | None = None) -> list[Path]:
    """Retention: delete media older than ``max_age_days``, then the oldest until under ``max_bytes``."""
    now = time.time() if now is None else now
    files = sorted((p for p in root.rglob("*") if p.is_file() and p.suffix in (".jpg", ".mp4")),
                   key=lambda p: p.stat().st_mtime)
    removed: list[Path] = []
    total = sum(p.stat().st_size for p in files)
    for p in files:
        st = p.stat()
        if now - st.st_mtime > max_age_days * 86400 or total > max_bytes:
            total -= st.st_size
            p.unlink(missing_ok=True)
            removed.append(p)
    for d in sorted((d for d in root.rglob("*") if d.is_dir()), key=lambda d: len(d.parts), reverse=True):
        if not any(d.iterdir()):
            d.rmdir()
    return removed
