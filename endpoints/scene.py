"""The generated test scene: a moving colour pattern with the unit's name and a clock burnt in, and
a tone. Used live (frames rendered in real time) and to pre-encode the fleet's clips."""

from __future__ import annotations

import math
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from core.folding import strip_accents

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf"),
    Path("/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
)
SAMPLE_RATE = 48000



@lru_cache(maxsize=64)
def _label(text: str, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """The name banner as a BGR patch and its alpha mask, rendered once per name and size."""
    banner_h = max(16, height // 7)
    font_path = next((p for p in FONT_CANDIDATES if p.exists()), None)
    if font_path is not None:
        from PIL import Image, ImageDraw, ImageFont

        font = ImageFont.truetype(str(font_path), size=int(banner_h * 0.62))
        image = Image.new("L", (width, banner_h), 0)
        ImageDraw.Draw(image).text((banner_h // 4, banner_h // 6), text, fill=255, font=font)
        mask = np.asarray(image, dtype=np.uint8)
    else:
        mask = np.zeros((banner_h, width), np.uint8)
        # OpenCV's built-in fonts have no Vietnamese letters: the accents are dropped in this fallback.
        cv2.putText(mask, strip_accents(text), (banner_h // 4, int(banner_h * 0.75)), cv2.FONT_HERSHEY_SIMPLEX,
                    banner_h / 40, 255, 2, cv2.LINE_AA)
    patch = np.zeros((banner_h, width, 3), np.uint8)
    patch[:] = (255, 255, 255)
    return patch, mask


def render_scene(name: str, t: float, width: int = 640, height: int = 360, clock: str | None = None,
                 slate: bool = False) -> np.ndarray:
    """One BGR frame at scene time `t` seconds. `slate` draws the "no camera" card instead of the pattern."""
    frame = np.empty((height, width, 3), np.uint8)
    if slate:
        frame[:] = (60, 40, 30)
        text = "KHONG CO CAMERA / NO CAMERA"
        scale = width / 700
        size = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 2)[0]
        cv2.putText(frame, text, ((width - size[0]) // 2, height // 2), cv2.FONT_HERSHEY_SIMPLEX, scale,
                    (0, 200, 255), 2, cv2.LINE_AA)
    else:
        x = np.linspace(0, 2 * math.pi, width, dtype=np.float32)
        phase = t * 1.7
        frame[:, :, 0] = (127 + 100 * np.sin(x + phase)).astype(np.uint8)
        frame[:, :, 1] = (127 + 100 * np.sin(2 * x - phase * 0.7)).astype(np.uint8)[None, :]
        frame[:, :, 2] = np.linspace(40, 200, height, dtype=np.uint8)[:, None]
        # A square sweeping across makes motion the encoder has to carry and the eye can follow.
        side = height // 4
        cx = int((width - side) * (0.5 + 0.5 * math.sin(t * 1.3)))
        cy = int((height - side) * (0.5 + 0.5 * math.cos(t * 0.9)))
        cv2.rectangle(frame, (cx, cy), (cx + side, cy + side), (255, 255, 255), -1)
        cv2.rectangle(frame, (cx + side // 4, cy + side // 4), (cx + 3 * side // 4, cy + 3 * side // 4),
                      (200, 16, 46), -1)
    patch, mask = _label(name, width, height)
    top = height - patch.shape[0]
    region = frame[top:, :]
    alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
    region[:] = (region * 0.45 * (1 - alpha) + patch * alpha).astype(np.uint8)
    stamp = clock if clock is not None else datetime.now().strftime("%H:%M:%S")
    scale = height / 300
    cv2.putText(frame, stamp, (width // 40, int(height * 0.12)), cv2.FONT_HERSHEY_SIMPLEX, scale, (0, 0, 0), 4,
                cv2.LINE_AA)
    cv2.putText(frame, stamp, (width // 40, int(height * 0.12)), cv2.FONT_HERSHEY_SIMPLEX, scale,
                (255, 255, 255), 2, cv2.LINE_AA)
    return frame


def tone_frequency(name: str) -> float:
    """Each endpoint its own pitch, so a listener can tell who is speaking."""
    return 330.0 + (sum(name.encode()) % 24) * 20.0


def render_tone(name: str, start_sample: int, samples: int, speaking: bool = True,
                level_dbov: float = -20.0) -> np.ndarray:
    """int16 mono samples; a quiet hiss between tones so that silence still has some noise floor."""
    n = np.arange(start_sample, start_sample + samples, dtype=np.float64)
    if speaking:
        amplitude = 32767 * 10 ** (level_dbov / 20)
        wave = amplitude * np.sin(2 * math.pi * tone_frequency(name) * n / SAMPLE_RATE)
    else:
        rng = np.random.default_rng(start_sample)
        wave = rng.normal(0, 32767 * 10 ** (-60 / 20), samples)
    return np.clip(wave, -32768, 32767).astype(np.int16)


def level_dbov(samples: np.ndarray) -> int:
    """RFC 6464 level: 0 (loudest) to 127 (silence), as -dBov of the RMS."""
    if samples.size == 0:
        return 127
    rms = float(np.sqrt(np.mean((samples.astype(np.float64) / 32768.0) ** 2)))
    if rms <= 0:
        return 127
    return int(min(127, max(0, round(-20 * math.log10(rms)))))
