"""People detection with OpenCV's HOG people detector, run only on motion regions."""

from __future__ import annotations

import cv2
import numpy as np

from ops_center.analytics.geometry import Box, merge_boxes

WINDOW_H = 128  # the default people detector's window is 64x128


class PeopleDetector:
    """Counts people inside the given regions of a greyscale frame."""

    def __init__(self, hit_threshold: float = 0.3, min_region_h: int = 48) -> None:
        if not hasattr(cv2, "HOGDescriptor_getDefaultPeopleDetector"):
            raise RuntimeError("the HOG people detector needs opencv-contrib-python-headless")
        self.hog = cv2.HOGDescriptor()
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        self.hit_threshold = hit_threshold
        self.min_region_h = min_region_h

    def detect(self, gray: np.ndarray, regions: list[Box]) -> list[Box]:
        h, w = gray.shape[:2]
        found: list[Box] = []
        for x, y, rw, rh in merge_boxes(regions, pad=0):
            if rh < self.min_region_h:
                continue
            # Grow the region so a whole body plus the detector's margin fits.
            mx, my = int(rw * 0.25) + 16, int(rh * 0.2) + 16
            x0, y0 = max(0, x - mx), max(0, y - my)
            x1, y1 = min(w, x + rw + mx), min(h, y + rh + my)
            crop = gray[y0:y1, x0:x1]
            scale = 1.0
            # People shorter than the window would be missed: enlarge small crops.
            if crop.shape[0] < WINDOW_H * 1.4:
                scale = WINDOW_H * 1.4 / crop.shape[0]
                crop = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=cv2.INTER_LINEAR)
            if crop.shape[1] < 64 or crop.shape[0] < WINDOW_H:
                continue
            rects, weights = self.hog.detectMultiScale(crop, hitThreshold=self.hit_threshold,
                                                       winStride=(8, 8), padding=(8, 8), scale=1.1)
            for (rx, ry, rw2, rh2), weight in zip(rects, np.ravel(weights), strict=False):
                if weight < 0.5:
                    continue
                found.append((x0 + int(rx / scale), y0 + int(ry / scale), int(rw2 / scale), int(rh2 / scale)))
        return _suppress(found)


def _suppress(boxes: list[Box], overlap: float = 0.4) -> list[Box]:
    """Non-maximum suppression by area: overlapping hits on one person count once."""
    kept: list[Box] = []
    for b in sorted(boxes, key=lambda r: r[2] * r[3], reverse=True):
        if all(_iou(b, k) < overlap for k in kept):
            kept.append(b)
    return kept


def _iou(a: Box, b: Box) -> float:
    ax1, ay1, bx1, by1 = a[0] + a[2], a[1] + a[3], b[0] + b[2], b[1] + b[3]
    iw = max(0, min(ax1, bx1) - max(a[0], b[0]))
    ih = max(0, min(ay1, by1) - max(a[1], b[1]))
    inter = iw * ih
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0
