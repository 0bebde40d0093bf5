"""People detection with OpenCV's Daimler pedestrian detector, run only on motion regions.

Why this detector: no person-detection network usable offline ships inside a package here (the
weights of the usual SSD/YOLO detectors are downloaded at run time; mediapipe's pose detector
needs an operator OpenCV's DNN cannot run, and mediapipe's current wheels carry no model). Of what
OpenCV itself carries (the 64x128 default HOG, the 48x96 Daimler HOG, the Haar full-body cascade)
the Daimler detector counted people best per CPU millisecond on a real clip (see README).

Its window is 48x96: people smaller than that are invisible to it. Motion regions are therefore
cut out of the analysis frame and enlarged so that the smallest person worth counting
(``min_person`` of the frame height) fills the window; enlarging only the moving parts is what
keeps the cost down, the whole frame is never enlarged.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from ops_center.analytics.geometry import Box, merge_boxes

WINDOW = (48, 96)
PERSON_IN_WINDOW = 0.8  # a pedestrian fills about this much of the window's height


@dataclass(frozen=True)
class PeopleSettings:
    min_person: float = 0.105  # smallest person counted, as a fraction of the frame height (50 px of 480)
    hit_threshold: float = 0.3  # SVM margin a window must clear
    scale_step: float = 1.1  # between the image pyramid's levels
    max_upscale: float = 3.0
    overlap: float = 0.3  # boxes overlapping more than this (IoU) are one person
    max_over_region: float = 1.3  # a person is at most this much taller than the moving region it was found in


class PeopleDetector:
    """Finds people inside the given regions of a greyscale frame."""

    def __init__(self, settings: PeopleSettings | None = None) -> None:
        if not hasattr(cv2, "HOGDescriptor_getDaimlerPeopleDetector"):
            raise RuntimeError("the people detector needs opencv-contrib-python-headless (HOG detectors)")
        self.settings = settings or PeopleSettings()
        self.hog = cv2.HOGDescriptor(WINDOW, (16, 16), (8, 8), (8, 8), 9)
        self.hog.setSVMDetector(cv2.HOGDescriptor_getDaimlerPeopleDetector())

    def detect(self, gray: np.ndarray, regions: list[Box]) -> list[Box]:
        s = self.settings
        h, w = gray.shape[:2]
        smallest = max(8.0, s.min_person * h)
        up = min(s.max_upscale, max(1.0, WINDOW[1] * PERSON_IN_WINDOW / smallest))
        boxes: list[tuple[float, float, float, float]] = []
        scores: list[float] = []
        for x, y, rw, rh in merge_boxes(regions, pad=4):
            # Motion often lights up only the legs or a swinging arm: leave room for the whole body.
            mx = int(max(rw * 0.15, smallest * 0.4))
            top, bottom = int(max(rh * 0.3, smallest * 0.5)), int(max(rh * 0.1, smallest * 0.2))
            x0, y0, x1, y1 = max(0, x - mx), max(0, y - top), min(w, x + rw + mx), min(h, y + rh + bottom)
            crop = gray[y0:y1, x0:x1]
            if crop.size == 0:
                continue
            crop = cv2.resize(crop, None, fx=up, fy=up, interpolation=cv2.INTER_LINEAR)
            pad_y, pad_x = max(0, WINDOW[1] - crop.shape[0]), max(0, WINDOW[0] - crop.shape[1])
            if pad_y or pad_x:
                crop = cv2.copyMakeBorder(crop, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
            rects, weights = self.hog.detectMultiScale(crop, hitThreshold=s.hit_threshold, winStride=(8, 8),
                                                       padding=(8, 8), scale=s.scale_step)
            tallest = max(rh * s.max_over_region, smallest * 1.5)
            for (rx, ry, bw, bh), weight in zip(rects, np.ravel(weights), strict=False):
                if bh / up > tallest:  # a lamp post or a doorway the pyramid's coarse levels took for a giant
                    continue
                boxes.append((x0 + rx / up, y0 + ry / up, bw / up, bh / up))
                scores.append(float(weight))
        return suppress(boxes, scores, s.overlap)


def suppress(boxes: list[tuple[float, float, float, float]], scores: list[float], overlap: float) -> list[Box]:
    """Non-maximum suppression: of boxes overlapping more than ``overlap``, the best-scored stays."""
    if not boxes:
        return []
    # NMSBoxes wants non-negative scores; an SVM margin may be negative (hit_threshold < 0).
    low = min(scores)
    keep = cv2.dnn.NMSBoxes([[int(round(v)) for v in b] for b in boxes], [v - low for v in scores], 0.0, overlap)
    return [tuple(int(round(v)) for v in boxes[i]) for i in np.ravel(keep)]  # type: ignore[misc]


def foot_point(box: Box) -> tuple[float, float]:
    """Where a person stands: the middle of the box's bottom edge."""
    x, y, w, h = box
    return x + w / 2, y + h


def draw_people(image: np.ndarray, boxes: list[Box], scale: tuple[float, float] = (1.0, 1.0)) -> np.ndarray:
    """A copy of ``image`` with each person's box drawn (boxes given in analysis-frame pixels)."""
    out = image.copy()
    fx, fy = scale
    thick = max(2, out.shape[0] // 240)
    for x, y, w, h in boxes:
        p0 = (int(x * fx), int(y * fy))
        p1 = (int((x + w) * fx), int((y + h) * fy))
        cv2.rectangle(out, p0, p1, (0, 0, 0), thick + 2)
        cv2.rectangle(out, p0, p1, (0, 220, 255), thick)
    return out
