"""Faulty cameras are marked and logged while the healthy ones carry on."""

from __future__ import annotations

import socket
import time
from contextlib import contextmanager

from ops_center.health import CameraState
from ops_center.ingest import IngestSupervisor
from ops_center.worker import CameraConfig


def _unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def supervised(recorder, tmp_path, cameras: dict[str, str], offline_after_s: float = 3.0):
    sup = IngestSupervisor(recorder, tmp_path, offline_after_s=offline_after_s, people=False).start()
    sup.apply([CameraConfig(id=cid, name=cid, url=url) for cid, url in cameras.items()])
    try:
        yield sup.workers
    finally:
        sup.stop()


def test_faulty_cameras_are_marked_and_the_good_one_is_unaffected(cameras, recorder, tmp_path):
    urls = {
        "good": cameras.url("good", "sub"),
        "resize": cameras.url("resize", "sub"),
        "garbage": cameras.url("garbage", "sub"),
        "unreachable": f"http://127.0.0.1:{_unused_port()}/cam.mjpg",
        "malformed": "htp//camera-1/stream",
    }
    with supervised(recorder, tmp_path, urls) as workers:
        good, resize, garbage = workers["good"], workers["resize"], workers["garbage"]
        unreachable, malformed = workers["unreachable"], workers["malformed"]
        assert recorder.wait_for("camera.online", "garbage", 10)
        assert recorder.wait_for("camera.online", "resize", 10)
        start = time.time()
        cameras.set_faults("garbage", garbage=True)
        cameras.set_faults("resize", sub_size=(320, 240))

        changed = recorder.wait_for("camera.resolution", "resize", 10)
        assert changed and changed["from"] == [640, 360] and changed["to"] == [320, 240]
        offline = recorder.wait_for("camera.offline", "garbage", 10, after=start)
        assert offline is not None
        assert "JPEG" in (garbage.health.last_error or "") or "decode" in (garbage.health.last_error or "")
        assert recorder.wait_for("camera.offline", "unreachable", 10)
        assert unreachable.health.errors >= 1 and "cannot open" in (unreachable.health.last_error or "")
        assert malformed.health.state == CameraState.MISCONFIGURED
        assert "scheme" in (malformed.health.last_error or "")
        assert not malformed.alive  # no pointless retries of a URL that cannot work

        # The resized camera keeps working at its new size; the good one never noticed.
        assert resize.health.state == CameraState.ONLINE and resize.health.resolution == (320, 240)
        frames_before = good.health.frames
        time.sleep(1.0)
        assert good.health.frames > frames_before
        assert good.health.state == CameraState.ONLINE
        assert good.health.errors == 0 and not recorder.of("camera.offline", "good")
        assert good.health.snapshot()["fps"] > 5


def test_offline_within_ten_seconds_and_recovery_is_recorded(cameras, recorder, tmp_path):
    with supervised(recorder, tmp_path, {"flaky": cameras.url("flaky", "sub")}, 5.0) as workers:
        worker = workers["flaky"]
        assert recorder.wait_for("camera.online", "flaky", 10)
        went_down = time.time()
        cameras.set_faults("flaky", down=True)
        offline = recorder.wait_for("camera.offline", "flaky", 12, after=went_down)
        assert offline is not None, "camera not marked offline"
        assert offline["at"] - went_down <= 10.0
        assert worker.health.state == CameraState.OFFLINE

        back = time.time()
        cameras.set_faults("flaky", down=False)
        online = recorder.wait_for("camera.online", "flaky", 15, after=back)
        assert online is not None, "recovery not recorded"
        assert online["downtime_s"] >= offline["at"] - went_down
        assert worker.health.state == CameraState.ONLINE


def test_a_stalled_stream_is_offline_even_while_the_connection_stays_open(cameras, recorder, tmp_path):
    with supervised(recorder, tmp_path, {"flaky": cameras.url("flaky", "sub")}):
        assert recorder.wait_for("camera.online", "flaky", 10)
        stalled = time.time()
        cameras.set_faults("flaky", stall=True)
        assert recorder.wait_for("camera.offline", "flaky", 10, after=stalled)


def test_a_stalled_h264_stream_is_offline_without_waiting_for_the_decoder(cameras, recorder, tmp_path):
    # When a read times out FFmpeg still hands over the picture its decoder held back; that old
    # picture must not count as the camera being alive.
    # offline_after_s as in production, longer than the 4 s read timeout.
    with supervised(recorder, tmp_path, {"flaky": cameras.url("flaky", "h264")}, 5.0) as workers:
        assert recorder.wait_for("camera.online", "flaky", 15)
        assert workers["flaky"].health.resolution == (640, 360)
        stalled = time.time()
        cameras.set_faults("flaky", stall=True)
        offline = recorder.wait_for("camera.offline", "flaky", 15, after=stalled)
        assert offline is not None
        # The last frame counted is one sent before the stall (at most one in flight), not the
        # decoder's leftover handed out when the 4 s read timeout fired.
        assert offline["last_frame_at"] < stalled + 1.0
