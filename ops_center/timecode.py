"""A camera for measuring glass-to-glass latency: each picture shows the wall-clock time it was
made (milliseconds since the epoch) as a row of black and white bars, and is encoded at once
with libx264 as a camera would (constrained baseline, no B-frames, one IDR per second).

A browser reads the bars back from the displayed picture (canvas `drawImage`, one sample at the
middle of each bar) and subtracts the time from its own clock: on one machine both clocks are
the same. Bars survive H.264 far better than digits would survive OCR. The code is written
twice, the second row inverted, so that a misread bar shows as a mismatch instead of a wrong time.

Layout (fractions of the picture, so any size works): ``BITS`` bars of equal width spanning
from 1/16 to 15/16 of the width, most significant first; row one from 0.15 to 0.35 of the
height, row two (inverted) from 0.55 to 0.75.
"""

from __future__ import annotations

import fractions
import time
from collections.abc import Iterator

import av
import numpy as np

BITS = 44  # milliseconds since 1970 fit until the year 2527
ROWS = ((0.15, 0.35, False), (0.55, 0.75, True))
X0, X1 = 1 / 16, 15 / 16


def draw(picture: np.ndarray, millis: int) -> None:
    """Write ``millis`` into a BGR/gray picture (in place)."""
    height, width = picture.shape[:2]
    for top, bottom, inverted in ROWS:
        y0, y1 = int(top * height), int(bottom * height)
        for bit in range(BITS):
            one = bool((millis >> (BITS - 1 - bit)) & 1) != inverted
            x0 = int(width * (X0 + (X1 - X0) * bit / BITS))
            x1 = int(width * (X0 + (X1 - X0) * (bit + 1) / BITS))
            picture[y0:y1, x0:x1] = 255 if one else 0


def read(picture: np.ndarray) -> int | None:
    """The time written by :func:`draw`, or None if the two rows disagree."""
    height, width = picture.shape[:2]
    gray = picture if picture.ndim == 2 else picture.mean(axis=2)
    rows = []
    for top, bottom, inverted in ROWS:
        y = int((top + bottom) / 2 * height)
        value = 0
        for bit in range(BITS):
            x = int(width * (X0 + (X1 - X0) * (bit + 0.5) / BITS))
            one = (gray[y - 2:y + 3, x - 2:x + 3].mean() > 128) != inverted
            value = value << 1 | int(one)
        rows.append(value)
    return rows[0] if rows[0] == rows[1] else None


class TimecodeCamera:
    """Encoded access units (Annex B) of live pictures stamped with the time they were made."""

    def __init__(self, width: int = 640, height: int = 360, fps: int = 30, gop: int = 30,
                 profile: str = "Baseline") -> None:
        self.width, self.height, self.fps = width, height, fps
        self.codec = av.CodecContext.create("libx264", "w")
        self.codec.width, self.codec.height, self.codec.pix_fmt = width, height, "yuv420p"
        self.codec.time_base = fractions.Fraction(1, fps)
        self.codec.framerate = fractions.Fraction(fps, 1)
        # "Baseline" with the options below comes out as constrained baseline; "High" is what many
        # cameras send on their main stream.
        self.codec.profile = profile
        params = f"keyint={gop}:min-keyint={gop}:scenecut=0:bframes=0"
        if profile.lower() == "high":
            params += ":cabac=1:8x8dct=1"  # x264 names the profile by the tools used: these make it High
        self.codec.options = {"preset": "ultrafast", "tune": "zerolatency", "threads": "1", "x264-params": params}
        self.index = 0

    def frame(self, millis: int | None = None) -> list[tuple[bytes, int, bool]]:
        """Make and encode one picture now: (access unit, time on the 90 kHz clock, is IDR)."""
        picture = np.full((self.height, self.width, 3), 96, dtype=np.uint8)
        picture[int(0.85 * self.height):, :] = (self.index * 7) % 256  # something that moves
        draw(picture, int(time.time() * 1000) if millis is None else millis)
        frame = av.VideoFrame.from_ndarray(picture, format="bgr24")
        frame.pts = self.index
        self.index += 1
        return [(bytes(p), int(p.pts * 90000 // self.fps), bool(p.is_keyframe)) for p in self.codec.encode(frame)]

    def live(self, seconds: float) -> Iterator[list[tuple[bytes, int, bool]]]:
        """Pictures at the frame rate, each stamped when it is made (blocking; for a thread)."""
        start = time.monotonic()
        n = 0
        while time.monotonic() - start < seconds:
            yield self.frame()
            n += 1
            time.sleep(max(0.0, start + n / self.fps - time.monotonic()))
