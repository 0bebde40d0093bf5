"""Per-camera health: frame rate, last frame, errors, and the online/offline state machine."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum

from ops_center.capture import redact


class CameraState(StrEnum):
    CONNECTING = "connecting"
    ONLINE = "online"
    OFFLINE = "offline"
    MISCONFIGURED = "misconfigured"  # the URL can never work: no retries until it is changed


@dataclass
class Transition:
    """A change of state worth telling people about."""

    kind: str  # "camera.offline" | "camera.online" | "camera.misconfigured"
    at: float
    detail: dict[str, object] = field(default_factory=dict)


# Why a camera is not delivering, as the health page and the offline alert name it.
FAULTS = ("unreachable", "not_rtsp", "auth", "no_video", "codec_mismatch", "stalled", "ended",
          "resolution_changed", "garbage", "misconfigured")


class CameraHealth:
    """Thread-safe health of one camera; the reader reports, the monitor calls :meth:`check`."""

    def __init__(self, offline_after_s: float = 5.0, now: float | None = None) -> None:
        self.offline_after_s = offline_after_s
        self.state = CameraState.CONNECTING
        self.started_at = time.time() if now is None else now
        self.last_frame_at: float | None = None
        self.offline_since: float | None = None
        self.errors = 0
        self.last_error: str | None = None
        self.fault: str | None = None
        self.resolution: tuple[int, int] | None = None
        self.frames = 0
        self.analysed = 0
        self._times: deque[float] = deque(maxlen=64)
        self._analysed_times: deque[float] = deque(maxlen=64)
        self._lock = threading.Lock()

    def frame(self, at: float) -> Transition | None:
        with self._lock:
            self.frames += 1
            self._times.append(at)
            self.last_frame_at = at
            if self.state in (CameraState.CONNECTING, CameraState.OFFLINE):
                self.fault = None
                was_offline = self.offline_since
                self.state = CameraState.ONLINE
                self.offline_since = None
                detail: dict[str, object] = {}
                if was_offline is not None:
                    detail = {"offline_since": was_offline, "downtime_s": round(at - was_offline, 2)}
                return Transition("camera.online", at, detail)
        return None

    def analysed_frame(self, at: float) -> None:
        with self._lock:
            self.analysed += 1
            self._analysed_times.append(at)

    def error(self, message: str, at: float | None = None, fault: str | None = None) -> None:
        with self._lock:
            self.errors += 1
            self.last_error = redact(message)[:500]
            if fault is not None:
                self.fault = fault

    def misconfigured(self, message: str, at: float | None = None) -> Transition:
        at = time.time() if at is None else at
        with self._lock:
            self.errors += 1
            self.last_error = redact(message)[:500]
            self.fault = "misconfigured"
            self.state = CameraState.MISCONFIGURED
            self.offline_since = self.offline_since or at
        return Transition("camera.misconfigured", at, {"error": self.last_error})

    def check(self, now: float | None = None) -> Transition | None:
        """Mark the camera offline once no frame arrived for ``offline_after_s``."""
        now = time.time() if now is None else now
        with self._lock:
            if self.state not in (CameraState.ONLINE, CameraState.CONNECTING):
                return None
            since = self.last_frame_at if self.last_frame_at is not None else self.started_at
            if now - since < self.offline_after_s:
                return None
            self.state = CameraState.OFFLINE
            self.offline_since = since
            return Transition("camera.offline", now, {"last_frame_at": self.last_frame_at,
                                                      "error": self.last_error, "fault": self.fault})

    def snapshot(self, now: float | None = None) -> dict[str, object]:
        now = time.time() if now is None else now
        with self._lock:
            return {
                "state": str(self.state),
                "fps": round(_rate(self._times, now), 2),
                "analysis_fps": round(_rate(self._analysed_times, now), 2),
                "last_frame_at": self.last_frame_at,
                "offline_since": self.offline_since,
                "errors": self.errors,
                "last_error": self.last_error,
                "fault": self.fault if self.state != CameraState.ONLINE else None,
                "resolution": list(self.resolution) if self.resolution else None,
                "frames": self.frames,
                "analysed": self.analysed,
            }


def _rate(times: deque[float], now: float, window: float = 5.0) -> float:
    recent = [t for t in times if now - t <= window]
    if len(recent) < 2:
        return 0.0
    span = max(recent[-1] - recent[0], 1e-6)
    return (len(recent) - 1) / span
