"""One camera's analysis chain: motion first, people only on moving regions, then events."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ops_center.analytics.events import EventTracker, MotionEvent, TrackerSettings
from ops_center.analytics.geometry import Box, Polygon, ZoneCounter
from ops_center.analytics.motion import MotionDetector, MotionSettings
from ops_center.analytics.people import PeopleDetector, PeopleSettings
from ops_center.capture import Frame


@dataclass
class Analysis:
    boxes: list[Box] = field(default_factory=list)  # moving regions
    people: int | None = None  # None: the detector did not run on this frame
    people_boxes: list[Box] = field(default_factory=list)
    zone_people: list[int] | None = None  # people standing in each zone, in the camera's zone order
    started: MotionEvent | None = None
    ended: MotionEvent | None = None


class CameraAnalytics:
    """Stateful per camera; ``process`` takes frames at the analysis rate, in time order."""

    def __init__(self, camera_id: str, *, zones: Sequence[Polygon] = (), masks: Sequence[Polygon] = (),
                 analysis_fps: float = 5.0, people_fps: float | None = 2.0,
                 motion: MotionSettings | None = None, tracker: TrackerSettings | None = None,
                 people: PeopleSettings | None = None) -> None:
        self.motion = MotionDetector(zones, masks, motion)
        self.people = PeopleDetector(people) if people_fps else None
        self.zones = ZoneCounter(zones)
        self.people_period = 1.0 / people_fps if people_fps else 0.0
        self.analysis_period = 1.0 / analysis_fps
        self.tracker = EventTracker(camera_id, analysis_fps, tracker)
        self._next_people = 0.0

    def process(self, frame: Frame) -> Analysis | None:
        """None when the frame cannot be decoded."""
        gray = frame.gray()
        if gray is None:
            return None
        result = Analysis(boxes=self.motion.detect(gray))
        h, w = gray.shape[:2]
        fraction = sum(bw * bh for _, _, bw, bh in result.boxes) / float(w * h)
        # Same slack as the analysis clock: frames arrive on the analysis grid, a few ms either side.
        if result.boxes and self.people is not None and frame.at >= self._next_people - 0.25 * self.analysis_period:
            found = self.people.detect(gray, result.boxes)
            result.people_boxes = self.zones.inside_any(found, w, h)
            result.people = len(result.people_boxes)
            result.zone_people = self.zones.count(found, w, h)
            self._next_people = max(self._next_people + self.people_period, frame.at + self.people_period * 0.5)
        result.started, result.ended = self.tracker.update(frame, fraction, result.people,
                                                           result.people_boxes, result.zone_people)
        return result

    def people_now(self, now: float) -> int:
        return self.tracker.people_now(now) if self.tracker.current else 0

    def interrupt(self) -> MotionEvent | None:
        """The stream broke or changed: start afresh and close any open event."""
        self.motion.reset()
        return self.tracker.reset()
