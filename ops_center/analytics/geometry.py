"""Zones and masks: polygons in frame fractions, turned into pixel masks at any size."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

Polygon = Sequence[Sequence[float]]  # [[x, y], ...] with 0 <= x, y <= 1
Box = tuple[int, int, int, int]  # x, y, w, h in pixels


def check_polygon(points: Polygon) -> list[list[float]]:
    """Validate a zone or mask polygon; raises ValueError with a message an operator can act on."""
    pts = [list(map(float, p)) for p in points]
    if len(pts) < 3:
        raise ValueError("vùng cần ít nhất 3 điểm / a zone needs at least 3 points")
    for x, y in pts:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise ValueError("toạ độ vùng phải trong [0, 1] / zone coordinates must be fractions in [0, 1]")
    return pts


def analysis_mask(width: int, height: int, zones: Sequence[Polygon], masks: Sequence[Polygon]) -> np.ndarray:
    """255 where motion counts: inside any zone (the whole frame if none), outside every mask."""
    scale = np.array([width, height], np.float32)
    if zones:
        mask = np.zeros((height, width), np.uint8)
        for zone in zones:
            cv2.fillPoly(mask, [np.round(np.array(zone, np.float32) * scale).astype(np.int32)], 255)
    else:
        mask = np.full((height, width), 255, np.uint8)
    for hidden in masks:
        cv2.fillPoly(mask, [np.round(np.array(hidden, np.float32) * scale).astype(np.int32)], 0)
    return mask


def merge_boxes(boxes: list[Box], pad: int = 0) -> list[Box]:
    """Union boxes that overlap once grown by ``pad`` pixels, until none overlap."""
    rects = [[x - pad, y - pad, x + w + pad, y + h + pad] for x, y, w, h in boxes]
    merged = True
    while merged:
        merged = False
        out: list[list[int]] = []
        for r in rects:
            for o in out:
                if r[0] <= o[2] and o[0] <= r[2] and r[1] <= o[3] and o[1] <= r[3]:
                    o[0], o[1] = min(o[0], r[0]), min(o[1], r[1])
                    o[2], o[3] = max(o[2], r[2]), max(o[3], r[3])
                    merged = True
                    break
            else:
                out.append(r)
        rects = out
    return [(x0 + pad, y0 + pad, x1 - x0 - 2 * pad, y1 - y0 - 2 * pad) for x0, y0, x1, y1 in rects]


class ZoneCounter:
    """Which zone each person stands in, judged by the foot point (middle of the box's bottom edge)."""

    def __init__(self, zones: Sequence[Polygon]) -> None:
        self.zones = [np.array(z, np.float32) for z in zones]

    def _inside(self, zone: np.ndarray, box: Box, width: int, height: int) -> bool:
        x, y, w, h = box
        foot = (float(x + w / 2) / width, float(min(y + h, height - 1)) / height)
        return cv2.pointPolygonTest(zone, foot, False) >= 0

    def inside_any(self, boxes: list[Box], width: int, height: int) -> list[Box]:
        """The people who count: everyone when the camera has no zones, else those inside a zone."""
        if not self.zones:
            return list(boxes)
        return [b for b in boxes if any(self._inside(z, b, width, height) for z in self.zones)]

    def count(self, boxes: list[Box], width: int, height: int) -> list[int] | None:
        if not self.zones:
            return None
        return [sum(self._inside(z, b, width, height) for b in boxes) for z in self.zones]
