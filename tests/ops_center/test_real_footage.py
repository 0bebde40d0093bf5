"""People on real footage (OpenCV's pedestrian sample clip from Debian's opencv-doc), counted by hand."""

from __future__ import annotations

from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from ops_center import footage
from ops_center.analytics.pipeline import CameraAnalytics
from ops_center.capture import Frame
from ops_center.clips import ClipWriter


@pytest.fixture(scope="module")
def substream(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return footage.substream(tmp_path_factory.mktemp("footage") / "vtest-640x480.mp4")


def test_people_are_found_and_counted_on_a_real_clip(substream: Path) -> None:
    cv2.setNumThreads(1)
    result = footage.run_footage(substream, analysis_fps=5.0, people_fps=2.0)
    assert result["detector_runs"] >= 150  # 79.5 s at 2 runs/s: motion never stops on this square
    assert result["person_found_pct_of_runs"] >= 90.0
    assert result["runs_on_hand_counted_frames"] >= 70
    assert abs(result["mean_count_error_pct"]) <= 30.0, result
    # Its cost per feed (target 15 % of a core) is a figure of `giaoban bench cameras`, not a test
    # limit: thread CPU time still grows on a loaded machine (caches, frequency); here it is reported.
    assert result["cpu_pct_per_feed"] > 0, result


def test_a_still_real_scene_with_sensor_noise_raises_no_event(substream: Path) -> None:
    assert footage.still_scene_events(substream, seconds=40) == 0


def test_zones_count_people_where_they_stand_and_the_snapshot_shows_the_boxes(substream: Path,
                                                                              tmp_path: Path) -> None:
    # Two zones that do not touch: a person stands in one, the other or neither (then not counted).
    left, right = [[0, 0], [0.49, 0], [0.49, 1], [0, 1]], [[0.51, 0], [1, 0], [1, 1], [0.51, 1]]
    halves = CameraAnalytics("halves", zones=[left, right], analysis_fps=5.0, people_fps=2.0)
    right_only = CameraAnalytics("right", zones=[right], analysis_fps=5.0, people_fps=2.0)
    runs = []
    with av.open(str(substream)) as container:
        for i, video in enumerate(container.decode(video=0)):
            if i % 2:
                continue
            frame = Frame.from_video(i / 10, video)
            both, one = halves.process(frame), right_only.process(Frame.from_video(i / 10, video))
            assert both is not None and one is not None
            if both.people is not None:
                assert both.zone_people is not None and sum(both.zone_people) == both.people
                if one.people is not None:
                    assert one.zone_people is not None and one.people == one.zone_people[0]
                for x, _y, w, _h in one.people_boxes:
                    assert x + w / 2 >= 0.51 * 640 - 1  # everyone counted on the right stands there
                runs.append(both.zone_people)
            if i >= 200:
                break
    assert sum(1 for left_n, _ in runs if left_n) and sum(1 for _, right_n in runs if right_n)
    event = halves.interrupt()
    assert event is not None and event.snapshot is not None and event.snapshot_boxes
    assert event.peak_zone_people is not None and len(event.peak_zone_people) == 2
    writer = ClipWriter(tmp_path, 5.0, clips=False)
    media = writer.submit(event)
    writer.close()
    assert media.snapshot is not None and media.snapshot.is_file()
    shot = cv2.imread(str(media.snapshot))
    plain = event.snapshot.color()
    assert plain is not None and shot.shape == plain.shape
    x, y, w, h = event.snapshot_boxes[0]
    edge = shot[y + h // 2, max(0, x - 1):x + 3]  # the box's left edge, drawn in yellow
    assert np.any((edge[:, 2] > 200) & (edge[:, 1] > 150) & (edge[:, 0] < 100))
