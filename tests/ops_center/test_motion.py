"""Motion events found in a synthetic clip whose crossings happen at known times."""

from __future__ import annotations

from pathlib import Path

import cv2
import pytest

from ops_center.analytics.pipeline import CameraAnalytics
from ops_center.bench import match_events
from ops_center.capture import StreamReader
from ops_center.scene import make_schedule
from ops_center.synthetic import BANNER_MASK

FPS = 10


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> tuple[Path, list[tuple[float, float]]]:
    """40 s of a scene at 640x360, MJPEG in AVI like many cameras' recordings."""
    scene = make_schedule(7, 40)
    path = tmp_path_factory.mktemp("clip") / "scene.avi"
    out = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), FPS, (640, 360))
    for i in range(40 * FPS):
        out.write(scene.render(i / FPS, 640, 360))
    out.release()
    return path, scene.motion_intervals()


def _events(path: Path, masks, people_fps=2.0) -> tuple[list[tuple[float, float]], list[int]]:
    reader = StreamReader(f"file://{path}")
    analytics = CameraAnalytics("clip", masks=masks, analysis_fps=FPS / 2, people_fps=people_fps)
    found, people = [], []
    i = 0
    while reader.grab():
        frame = reader.retrieve()
        i += 1
        if frame is None or i % 2:
            continue
        frame.at = i / FPS  # the clip's own clock, not the wall clock
        result = analytics.process(frame)
        assert result is not None
        if result.ended:
            found.append((result.ended.start, result.ended.end))
            people.append(result.ended.peak_people)
    reader.close()
    last = analytics.interrupt()
    if last:
        found.append((last.start, last.end))
        people.append(last.peak_people)
    return found, people


def test_motion_events_match_the_known_crossings(clip):
    path, truth = clip
    assert len(truth) >= 3
    found, people = _events(path, masks=[BANNER_MASK])
    assert len(found) == len(truth)
    assert match_events(truth, found) == len(truth)
    for (ts, te), (fs, fe) in zip(truth, found, strict=True):
        assert ts - 0.2 <= fs <= ts + 1.5, "event should start when the walker enters"
        assert abs(fe - te) <= 1.5, "event should end when the walker leaves"
    # HOG looked at the moving regions and saw somebody in each crossing.
    assert all(n >= 1 for n in people)


def test_without_the_mask_the_flapping_banner_is_motion(clip):
    path, truth = clip
    found, _ = _events(path, masks=[], people_fps=None)
    # The banner moves all the time: one long event, not the crossings.
    assert match_events(found, truth) < len(found) or len(found) < len(truth)
    assert any(e - s > 15 for s, e in found)


def test_a_zone_limits_motion_to_where_it_matters(clip):
    path, _ = clip
    sky_only = CameraAnalytics("sky", zones=[[[0.0, 0.0], [0.7, 0.0], [0.7, 0.2], [0.0, 0.2]]],
                               people_fps=None)
    reader = StreamReader(f"file://{path}")
    moving = 0
    while reader.grab():
        frame = reader.retrieve()
        result = sky_only.process(frame)
        moving += bool(result and result.boxes)
    reader.close()
    assert moving == 0  # nobody walks in the sky, and the banner is outside the zone
