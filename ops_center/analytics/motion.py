"""Motion by frame differencing on a frame scaled to about 100 px high."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from ops_center.analytics.geometry import Box, Polygon, analysis_mask, merge_boxes


@dataclass(frozen=True)
class MotionSettings:
    height: int = 100  # rows of the analysed frame
    threshold: int = 22  # grey levels a pixel must change by
    min_area: float = 0.0015  # smallest moving blob, as a fraction of the frame
    alpha: float = 0.25  # how fast the background follows the scene
    lighting_change: float = 0.45  # above this changed fraction the scene relit, it did not move


class MotionDetector:
    """Compares each frame with a running background and returns moving regions.

    Regions are in the coordinates of the frame given to :meth:`detect`, so a
    detector downstream can look at exactly those pixels at full resolution.
    """

    def __init__(self, zones: Sequence[Polygon] = (), masks: Sequence[Polygon] = (),
                 settings: MotionSettings | None = None) -> None:
        self.zones = list(zones)
        self.masks = list(masks)
        self.settings = settings or MotionSettings()
        self._background: np.ndarray | None = None
        self._mask: np.ndarray | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))

    def reset(self) -> None:
        """Forget the background (after a reconnect or a resolution change)."""
        self._background = None
        self._mask = None

    def detect(self, gray: np.ndarray) -> list[Box]:
        s = self.settings
        h, w = gray.shape[:2]
        small_w = max(1, round(w * s.height / h))
        small = cv2.resize(gray, (small_w, s.height), interpolation=cv2.INTER_AREA)
        small = cv2.GaussianBlur(small, (3, 3), 0)
        if self._background is None or self._background.shape != small.shape:
            self._background = small.astype(np.float32)
            self._mask = analysis_mask(small_w, s.height, self.zones, self.masks)
            return []
        assert self._mask is not None
        diff = cv2.absdiff(small, cv2.convertScaleAbs(self._background))
        _, moving = cv2.threshold(diff, s.threshold, 255, cv2.THRESH_BINARY)
        moving = cv2.bitwise_and(moving, self._mask)
        changed = cv2.countNonZero(moving) / max(1, cv2.countNonZero(self._mask))
        if changed > s.lighting_change:
            self._background = small.astype(np.float32)
            return []
        cv2.accumulateWeighted(small, self._background, s.alpha)
        moving = cv2.dilate(moving, self._kernel, iterations=2)
        contours, _ = cv2.findContours(moving, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_px = s.min_area * small_w * s.height
        boxes = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= min_px]
        if not boxes:
            return []
        fx, fy = w / small_w, h / s.height
        return [(int(x * fx), int(y * fy), int(bw * fx), int(bh * fy))
                for x, y, bw, bh in merge_boxes(boxes, pad=2)]
