"""Each camera's latest analysed picture, as a JPEG file the pages show.

The dashboard's camera thumbnails (every camera, whatever it sends) and the wall's fallback for a main
stream the browser cannot play both show this picture. It comes from the frames the ingest already
has in hand for analysis, so it costs no extra decoding: an MJPEG camera's JPEG is written as it
came, a decoded picture is encoded once per ``every_s`` (about 1 ms for 640x360). Files live beside
the events' media (``var/ops_media/latest/<camera>.jpg``), written to a temporary name and renamed,
so a reader never sees half a picture; the web process serves one only while it is fresh: an old
picture of a camera that stopped sending would pass for a live one.
"""

from __future__ import annotations

import contextlib
import logging
import os
import time
from pathlib import Path

import cv2

from ops_center.capture import Frame

log = logging.getLogger(__name__)
FOLDER = "latest"
EVERY_S = 1.0
FRESH_S = 15.0  # older than this: the page shows the camera's state instead of a picture
MAX_WIDTH = 640  # a camera analysed from a big main stream (no substream) gets a smaller picture
QUALITY = 70


def picture_path(media_root: Path, camera_id: str | int) -> Path:
    return media_root / FOLDER / f"{camera_id}.jpg"


def fresh_picture(media_root: Path, camera_id: str | int, max_age_s: float = FRESH_S,
                  now: float | None = None) -> Path | None:
    """The camera's latest picture if it is at most ``max_age_s`` old, else None."""
    path = picture_path(media_root, camera_id)
    try:
        written = path.stat().st_mtime
    except OSError:
        return None
    return path if (time.time() if now is None else now) - written <= max_age_s else None


class LatestPictures:
    """Written by the ingest workers (one thread per camera, so no lock is needed per camera)."""

    def __init__(self, media_root: Path, every_s: float = EVERY_S) -> None:
        self.folder = media_root / FOLDER
        self.every_s = every_s
        self._next: dict[str, float] = {}
        self._failed = False

    def due(self, camera_id: str, now: float) -> bool:
        return now >= self._next.get(camera_id, 0.0)

    def offer(self, camera_id: str, frame: Frame, now: float) -> None:
        """Keep ``frame`` as the camera's latest picture if the last one is ``every_s`` old."""
        if not self.due(camera_id, now):
            return
        self._next[camera_id] = now + self.every_s
        data = frame.jpeg if frame.jpeg is not None else _encode(frame)
        if data is None:
            return
        path = self.folder / f"{camera_id}.jpg"
        tmp = path.with_name(f".{camera_id}.{os.getpid()}.tmp")
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp.write_bytes(data)
            tmp.replace(path)
            self._failed = False
        except OSError as exc:
            # A full or read-only disk costs the thumbnails, never the analysis; said once.
            if not self._failed:
                log.warning("camera pictures not written to %s: %s", self.folder, exc)
                self._failed = True
            with contextlib.suppress(OSError):
                tmp.unlink()

    def forget(self, camera_id: str) -> None:
        self._next.pop(camera_id, None)


def _encode(frame: Frame) -> bytes | None:
    image = frame.color()
    if image is None:
        return None
    h, w = image.shape[:2]
    if w > MAX_WIDTH:
        image = cv2.resize(image, (MAX_WIDTH, round(h * MAX_WIDTH / w)), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
    return buf.tobytes() if ok else None
