"""Real footage for testing and benchmarking the analytics: a pedestrian clip from Debian's packages.

`vtest.avi` (OpenCV's sample clip, shipped by Debian's `opencv-doc`) shows a campus crossing from
a first-floor window: 768x576, 10 fps, 79.5 s, two to nine people in view at every moment, most
of them 50-140 px tall. People were counted by hand every 10th frame (`data/vtest_counts.json`
says how). The clip is turned once into what a camera's substream would send (H.264 at
640x480, 10 fps, a keyframe every 2 s) and then decoded and analysed exactly as the ingest
worker does, at the camera's configured rates, with the frame clock taken from the stream.
"""

from __future__ import annotations

import json
import statistics
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from ops_center.analytics.pipeline import CameraAnalytics
from ops_center.capture import Frame

CLIP = Path("/usr/share/doc/opencv-doc/examples/data/vtest.avi")
CLIP_NAME = "vtest.avi (Debian opencv-doc, OpenCV sample data): campus crossing, 768x576, 10 fps, 79.5 s"
COUNTS = Path(__file__).parent / "data" / "vtest_counts.json"
SUBSTREAM_SIZE = (640, 480)


def hand_counts() -> dict[int, int]:
    """Frame index -> people in view, counted by hand."""
    frames = json.loads(COUNTS.read_text(encoding="utf-8"))["frames"]
    return {int(k): int(v[0]) for k, v in frames.items()}


def require_clip() -> Path:
    if not CLIP.is_file():
        raise FileNotFoundError(f"{CLIP} is missing: install Debian's opencv-doc package "
                                "(apt-get install opencv-doc), which carries OpenCV's sample clips")
    return CLIP


def substream(dest: Path, size: tuple[int, int] = SUBSTREAM_SIZE, fps: int = 10, gop_s: float = 2.0) -> Path:
    """The clip as a camera's H.264 substream (MP4), made once and kept at ``dest``."""
    if dest.is_file():
        return dest
    src = require_clip()
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_suffix(".part.mp4")
    # PyAV decodes the source too: OpenCV's own FFmpeg, loaded in the same process as PyAV's, loses the
    # clip's first reference frame and every picture after it comes out grey.
    with av.open(str(src)) as source, av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        gop = int(fps * gop_s)
        stream.options = {"preset": "veryfast", "crf": "23", "x264-params": f"keyint={gop}:min-keyint={gop}:bframes=0"}
        for picture in source.decode(video=0):
            img = cv2.resize(picture.to_ndarray(format="bgr24"), size, interpolation=cv2.INTER_AREA)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")))
        out.mux(stream.encode(None))
    tmp.replace(dest)
    return dest


def run_footage(path: Path, *, analysis_fps: float = 5.0, people_fps: float = 2.0) -> dict[str, Any]:
    """Decode and analyse the substream like a worker; score the people stage against the hand counts.

    CPU is this thread's: decoding every frame (H.264 cannot skip the frames between analysed
    ones) plus the analysis of the frames the configured rate picks.
    """
    counts = hand_counts()
    analytics = CameraAnalytics("footage", analysis_fps=analysis_fps, people_fps=people_fps)
    period = 1.0 / analysis_fps
    next_at = 0.0
    runs: list[tuple[int, int]] = []  # (frame index, people found) for every detector run
    events = 0
    decode_s = analyse_s = 0.0
    index = -1
    duration = 0.0
    with_people: list[float] = []
    motion_only: list[float] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "SLICE"
        fps = float(stream.average_rate or 10)
        t0 = time.thread_time()
        for video in container.decode(stream):
            index += 1
            t1 = time.thread_time()
            decode_s += t1 - t0
            at = index / fps
            duration = at + 1 / fps
            if at + 1e-6 >= next_at - 0.25 * period:
                next_at = max(next_at + period, at + period * 0.5)
                result = analytics.process(Frame.from_video(at, video))
                spent = time.thread_time() - t1
                if result is not None:
                    events += result.started is not None
                    if result.people is not None:
                        runs.append((index, result.people))
                        with_people.append(spent)
                    else:
                        motion_only.append(spent)
            t0 = time.thread_time()
            analyse_s += t0 - t1
    scored = [(counts[i], n) for i, n in runs if i in counts]
    truth_mean = statistics.mean(t for t, _ in scored) if scored else 0.0
    found_mean = statistics.mean(n for _, n in scored) if scored else 0.0
    cpu_s = decode_s + analyse_s
    return {
        "clip": CLIP_NAME,
        "analysis_stream": f"H.264 {SUBSTREAM_SIZE[0]}x{SUBSTREAM_SIZE[1]} at {fps:g} fps, keyframe every 2 s",
        "analysis_fps_configured": analysis_fps,
        "people_fps_configured": people_fps,
        "frames_with_people_truth": "all (2-9 people in every hand-counted frame)",
        "detector_runs": len(runs),
        "person_found_pct_of_runs": round(100 * sum(n > 0 for _, n in runs) / len(runs), 1) if runs else 0.0,
        "runs_on_hand_counted_frames": len(scored),
        "people_mean_true": round(truth_mean, 2),
        "people_mean_found": round(found_mean, 2),
        "mean_count_error_pct": round(100 * (found_mean - truth_mean) / truth_mean, 1) if truth_mean else None,
        "mean_abs_count_error": round(statistics.mean(abs(t - n) for t, n in scored), 2) if scored else None,
        "motion_events": events,
        "cpu_ms_per_detector_run": round(1000 * (statistics.mean(with_people) - statistics.mean(motion_only)), 1)
        if with_people and motion_only else None,
        "cpu_ms_per_motion_frame": round(1000 * statistics.mean(motion_only), 2) if motion_only else None,
        "cpu_pct_per_feed": round(100 * cpu_s / duration, 2) if duration else None,
        "cpu_pct_decode": round(100 * decode_s / duration, 2) if duration else None,
        "cpu_pct_analysis": round(100 * analyse_s / duration, 2) if duration else None,
    }


def still_scene_events(path: Path, seconds: float = 60.0, analysis_fps: float = 5.0, noise_sigma: float = 3.0,
                       seed: int = 1) -> int:
    """Motion events raised by one real frame held still for ``seconds`` with sensor noise: should be 0."""
    with av.open(str(path)) as container:
        still = next(container.decode(video=0)).to_ndarray(format="bgr24")
    rng = np.random.default_rng(seed)
    # Independent Gaussian noise per pixel and frame (drawn as 16 fields, each frame adds two of them).
    fields = [rng.normal(0.0, noise_sigma / np.sqrt(2), still.shape).astype(np.int16) for _ in range(16)]
    base = still.astype(np.int16)
    analytics = CameraAnalytics("still", analysis_fps=analysis_fps, people_fps=2.0)
    events = 0
    for i in range(int(seconds * analysis_fps)):
        a, b = rng.choice(len(fields), 2, replace=False)
        image = np.clip(base + fields[a] + fields[b], 0, 255).astype(np.uint8)
        result = analytics.process(Frame(at=i / analysis_fps, image=image))
        events += bool(result and result.started)
    return events
