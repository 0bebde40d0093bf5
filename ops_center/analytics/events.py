"""Turning per-frame motion and people counts into events with a start and an end."""

from __future__ import annotations

import uuid
from collections import deque
from dataclasses import dataclass, field

from ops_center.capture import Frame


@dataclass
class MotionEvent:
    """A stretch of motion on one camera; ``end`` is None while it lasts."""

    camera_id: str
    start: float
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    end: float | None = None
    peak_people: int = 0
    peak_area: float = 0.0  # largest moving fraction of the frame seen
    peak_zone_people: list[int] | None = None  # the most seen at once in each zone
    snapshot: Frame | None = None
    snapshot_boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # people on the snapshot
    frames: list[Frame] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {"event_id": self.id, "camera_id": self.camera_id, "start": self.start, "end": self.end,
                "peak_people": self.peak_people, "peak_area": round(self.peak_area, 4),
                "peak_zone_people": self.peak_zone_people}


@dataclass(frozen=True)
class TrackerSettings:
    confirm_frames: int = 2  # of the last 3 analysed frames must move before an event starts
    end_after_s: float = 2.0  # quiet this long closes the event
    pre_roll_s: float = 2.0
    max_clip_s: float = 20.0
    people_window_s: float = 2.0  # the count is the most seen at once within this window


class EventTracker:
    """Debounces motion into events and keeps the frames a snapshot and clip are made from."""

    def __init__(self, camera_id: str, analysis_fps: float, settings: TrackerSettings | None = None) -> None:
        self.camera_id = camera_id
        self.settings = settings or TrackerSettings()
        self.analysis_fps = analysis_fps
        self.current: MotionEvent | None = None
        self._recent: deque[tuple[float, bool]] = deque(maxlen=3)
        self._pre: deque[Frame] = deque(maxlen=max(1, int(self.settings.pre_roll_s * analysis_fps)))
        self._last_motion = 0.0
        self._people: deque[tuple[float, int]] = deque()

    def reset(self) -> MotionEvent | None:
        """Stream interrupted: close any open event at the last motion seen."""
        ended = self.current
        if ended is not None:
            ended.end = self._last_motion
        self.current = None
        self._recent.clear()
        self._pre.clear()
        self._people.clear()
        return ended

    def people_now(self, now: float) -> int:
        while self._people and self._people[0][0] < now - self.settings.people_window_s:
            self._people.popleft()
        return max((n for _, n in self._people), default=0)

    def update(self, frame: Frame, moving_fraction: float, people: int | None,
               people_boxes: list[tuple[int, int, int, int]] | None = None,
               zone_people: list[int] | None = None) -> tuple[MotionEvent | None, MotionEvent | None]:
        """Feed one analysed frame; returns (event that started, event that ended)."""
        now = frame.at
        moving = moving_fraction > 0
        self._recent.append((now, moving))
        if people is not None:
            self._people.append((now, people))
        started = ended = None
        if moving:
            self._last_motion = now
        event = self.current
        if event is None:
            if sum(m for _, m in self._recent) >= self.settings.confirm_frames:
                first = next(t for t, m in self._recent if m)
                event = self.current = MotionEvent(camera_id=self.camera_id, start=first)
                event.frames.extend(self._pre)
                started = event
            else:
                self._pre.append(frame)
                return None, None
        if len(event.frames) < self.settings.max_clip_s * self.analysis_fps:
            event.frames.append(frame)
        count = self.people_now(now)
        # The snapshot is the frame with the most people seen (their boxes drawn on it), else the most motion.
        if people is not None and people > 0 and people >= len(event.snapshot_boxes):
            event.snapshot, event.snapshot_boxes = frame, list(people_boxes or [])
        elif not event.snapshot_boxes and moving_fraction > event.peak_area:
            event.snapshot = frame
        event.peak_area = max(event.peak_area, moving_fraction)
        event.peak_people = max(event.peak_people, count)
        if zone_people is not None:
            peak = event.peak_zone_people or [0] * len(zone_people)
            event.peak_zone_people = [max(a, b) for a, b in zip(peak, zone_people, strict=False)]
        if not moving and now - self._last_motion >= self.settings.end_after_s:
            event.end = self._last_motion
            ended = event
            self.current = None
            self._pre.clear()
        return started, ended
