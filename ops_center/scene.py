"""Synthetic camera scenes: a street with people-like walkers at known times.

A scene is a pure function of time, so any resolution can be rendered and the
ground truth (when something moves, when the feed is down) is known exactly.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

import cv2
import numpy as np

# The timestamp strip lets a viewer read when a frame was rendered (wall latency).
STAMP_BITS = 44
STAMP_BLOCK = 1 / 64  # fraction of the frame width per bit


@dataclass(frozen=True)
class Walker:
    """A person crossing the frame between ``start`` and ``end`` (scene seconds)."""

    start: float
    end: float
    y: float  # feet position, fraction of the frame height
    height: float  # fraction of the frame height
    left_to_right: bool = True
    shirt: tuple[int, int, int] = (40, 60, 150)
    pause_at: float | None = None  # scene second where the walker stands still for 0.8 s

    def position(self, t: float) -> float | None:
        if not self.start <= t <= self.end:
            return None
        moving = t - self.start
        total = self.end - self.start
        if self.pause_at is not None and t > self.pause_at:
            moving -= min(0.8, t - self.pause_at)
            total -= 0.8
        frac = max(0.0, min(1.0, moving / total))
        # Walk from just outside one edge to just outside the other.
        x = -0.08 + 1.16 * frac
        return x if self.left_to_right else 1.0 - x


@dataclass(frozen=True)
class Outage:
    """A window where the camera delivers nothing (scene seconds)."""

    start: float
    end: float


@dataclass
class Scene:
    """One camera's synthetic view: static street, a masked waving banner, walkers."""

    seed: int
    walkers: list[Walker] = field(default_factory=list)
    outages: list[Outage] = field(default_factory=list)
    # A banner flapping in the wind in this box (fractions x0, y0, x1, y1): real motion
    # that the camera's mask must hide.
    banner: tuple[float, float, float, float] = (0.80, 0.06, 0.96, 0.26)
    _backgrounds: dict[tuple[int, int], np.ndarray] = field(default_factory=dict, repr=False)
    _noise: dict[tuple[int, int], list[np.ndarray]] = field(default_factory=dict, repr=False)

    def motion_intervals(self) -> list[tuple[float, float]]:
        """Merged intervals during which a walker is in view: the ground truth for motion events."""
        spans = sorted((w.start, w.end) for w in self.walkers)
        merged: list[tuple[float, float]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], e))
            else:
                merged.append((s, e))
        return merged

    def is_down(self, t: float) -> bool:
        return any(o.start <= t < o.end for o in self.outages)

    def render(self, t: float, width: int, height: int, stamp_ms: int | None = None) -> np.ndarray:
        frame = self._background(width, height).copy()
        self._draw_banner(frame, t)
        for walker in self.walkers:
            x = walker.position(t)
            if x is not None:
                _draw_person(frame, walker, x, t)
        noise = self._noise_frames(width, height)
        frame = cv2.add(frame, noise[int(t * 25) % len(noise)], dtype=cv2.CV_8U)
        # Slow daylight drift: the detector must not call this motion.
        drift = 8.0 * math.sin(t / 40.0)
        if drift:
            frame = cv2.convertScaleAbs(frame, alpha=1.0, beta=drift)
        if stamp_ms is not None:
            draw_stamp(frame, stamp_ms)
        return frame

    def _background(self, width: int, height: int) -> np.ndarray:
        key = (width, height)
        if key not in self._backgrounds:
            rng = random.Random(self.seed)
            img = np.zeros((height, width, 3), np.uint8)
            sky = int(height * 0.35)
            for y in range(sky):
                c = 200 - int(60 * y / max(sky, 1))
                img[y, :] = (c + 30, c + 10, c - 20)
            img[sky:, :] = (95, 100, 105)
            road_top = int(height * 0.62)
            img[road_top:, :] = (70, 72, 75)
            for _ in range(7):
                bx = rng.randint(0, width)
                bw = rng.randint(width // 12, width // 5)
                bh = rng.randint(height // 6, height // 3)
                shade = rng.randint(110, 190)
                cv2.rectangle(img, (bx, sky + 40 - bh), (bx + bw, road_top), (shade, shade - 10, shade - 25), -1)
                for wy in range(sky + 50 - bh, road_top - 20, max(height // 24, 6)):
                    for wx in range(bx + 6, bx + bw - 10, max(width // 60, 8)):
                        cv2.rectangle(img, (wx, wy), (wx + width // 160 + 2, wy + height // 90 + 2), (60, 70, 80), -1)
            for x in range(0, width, max(width // 16, 20)):
                cv2.line(img, (x, int(height * 0.8)), (x + width // 32, int(height * 0.8)), (220, 220, 220), 2)
            self._backgrounds[key] = img
        return self._backgrounds[key]

    def _noise_frames(self, width: int, height: int) -> list[np.ndarray]:
        key = (width, height)
        if key not in self._noise:
            gen = np.random.default_rng(self.seed)
            self._noise[key] = [gen.integers(0, 7, (height, width, 3), dtype=np.uint8) for _ in range(4)]
        return self._noise[key]

    def _draw_banner(self, frame: np.ndarray, t: float) -> None:
        h, w = frame.shape[:2]
        x0, y0, x1, y1 = self.banner
        px0, py0, px1, py1 = int(x0 * w), int(y0 * h), int(x1 * w), int(y1 * h)
        cv2.line(frame, (px0, py0), (px0, py1 + (py1 - py0)), (40, 40, 40), max(2, w // 320))
        pts = []
        steps = 12
        for i in range(steps + 1):
            fx = i / steps
            wave = math.sin(t * 5.0 + fx * 6.0) * (py1 - py0) * 0.18 * fx
            pts.append((px0 + fx * (px1 - px0), py0 + wave))
        for i in range(steps, -1, -1):
            fx = i / steps
            wave = math.sin(t * 5.0 + fx * 6.0) * (py1 - py0) * 0.18 * fx
            pts.append((px0 + fx * (px1 - px0), py0 + (py1 - py0) * 0.6 + wave))
        cv2.fillPoly(frame, [np.array(pts, np.int32)], (30, 30, 200))


def _draw_person(frame: np.ndarray, walker: Walker, x: float, t: float) -> None:
    h, w = frame.shape[:2]
    ph = walker.height * h
    feet_y = walker.y * h
    cx = x * w
    swing = math.sin((t - walker.start) * 6.0) * 0.22 * ph * 0.5
    if walker.pause_at is not None and walker.pause_at <= t <= walker.pause_at + 0.8:
        swing = 0.0
    head_r = ph * 0.075
    head_c = (cx, feet_y - ph + head_r)
    neck_y = feet_y - ph + 2 * head_r
    hip_y = feet_y - ph * 0.48
    shoulder = ph * 0.13
    skin = (120, 150, 190)
    trousers = (50, 40, 35)
    thick = max(2, int(ph * 0.09))

    def p(px: float, py: float) -> tuple[int, int]:
        return int(round(px)), int(round(py))

    # Legs and arms swing in opposite phase, as in a walking gait.
    cv2.line(frame, p(cx - ph * 0.04, hip_y), p(cx - swing, feet_y), trousers, thick)
    cv2.line(frame, p(cx + ph * 0.04, hip_y), p(cx + swing, feet_y), trousers, thick)
    torso = np.array(
        [p(cx - shoulder, neck_y + ph * 0.02), p(cx + shoulder, neck_y + ph * 0.02),
         p(cx + shoulder * 0.75, hip_y), p(cx - shoulder * 0.75, hip_y)],
        np.int32,
    )
    cv2.fillPoly(frame, [torso], walker.shirt)
    arm = max(2, int(ph * 0.055))
    cv2.line(frame, p(cx - shoulder, neck_y + ph * 0.04), p(cx - shoulder + swing * 0.7, hip_y + ph * 0.05),
             walker.shirt, arm)
    cv2.line(frame, p(cx + shoulder, neck_y + ph * 0.04), p(cx + shoulder - swing * 0.7, hip_y + ph * 0.05),
             walker.shirt, arm)
    cv2.circle(frame, p(*head_c), max(2, int(head_r)), skin, -1)
    cv2.circle(frame, p(head_c[0], head_c[1] - head_r * 0.4), max(2, int(head_r * 0.9)), (30, 30, 30), -1)
    cv2.circle(frame, p(head_c[0], head_c[1] + head_r * 0.15), max(2, int(head_r * 0.8)), skin, -1)


def draw_stamp(frame: np.ndarray, value: int) -> None:
    """Write ``value`` as black/white blocks along the bottom edge."""
    h, w = frame.shape[:2]
    block = max(4, int(w * STAMP_BLOCK))
    y0 = h - block
    for bit in range(STAMP_BITS):
        on = (value >> (STAMP_BITS - 1 - bit)) & 1
        x0 = bit * block
        frame[y0:h, x0:x0 + block] = 255 if on else 0


def read_stamp(frame: np.ndarray) -> int:
    """Inverse of :func:`draw_stamp` on a decoded (possibly JPEG-degraded) frame."""
    h, w = frame.shape[:2]
    block = max(4, int(w * STAMP_BLOCK))
    y = h - block // 2
    value = 0
    for bit in range(STAMP_BITS):
        x = bit * block + block // 2
        value = (value << 1) | int(frame[y, x].mean() > 127)
    return value


def make_schedule(seed: int, seconds: float, outage_at: float | None = None,
                  outage_len: float = 12.0) -> Scene:
    """A scene with walkers at random but known times, separated by quiet gaps.

    Gaps are at least 6 s so that separate crossings are separate events for a
    detector that closes an event after 2 s without motion.
    """
    rng = random.Random(seed)
    walkers: list[Walker] = []
    outages = [Outage(outage_at, outage_at + outage_len)] if outage_at is not None else []
    t = rng.uniform(3.0, 8.0)
    shirts = [(40, 60, 150), (150, 70, 40), (50, 130, 60), (30, 30, 30), (160, 160, 160)]
    while True:
        duration = rng.uniform(4.0, 8.0)
        end = t + duration
        if end > seconds - 2.0:
            break
        # Keep crossings clear of outages (with margin for the reconnect).
        clash = any(t < o.end + 6.0 and end > o.start - 3.0 for o in outages)
        if clash:
            t = max(o.end for o in outages) + 6.0
            continue
        walkers.append(Walker(
            start=t, end=end, y=rng.uniform(0.7, 0.92), height=rng.uniform(0.3, 0.45),
            left_to_right=rng.random() < 0.5, shirt=rng.choice(shirts),
            pause_at=t + duration / 2 if rng.random() < 0.2 else None,
        ))
        if rng.random() < 0.3:
            # A companion walking in the same crossing: the people count goes to 2.
            off = rng.uniform(0.3, 1.5)
            walkers.append(Walker(
                start=t + off, end=min(end + off, seconds - 2.0), y=rng.uniform(0.7, 0.92),
                height=rng.uniform(0.3, 0.45), left_to_right=rng.random() < 0.5, shirt=rng.choice(shirts),
            ))
        t = max(w.end for w in walkers) + rng.uniform(6.0, 10.0)
    return Scene(seed=seed, walkers=walkers, outages=outages)
