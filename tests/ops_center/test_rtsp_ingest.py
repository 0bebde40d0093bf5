"""H.264 cameras over RTSP, served by GStreamer's RTSP server from Debian (and by lying cameras for the faults)."""

from __future__ import annotations

import logging
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ops_center import footage
from ops_center.worker import CameraConfig, CameraWorker
from tests.ops_center.bad_rtsp import BadRtspCamera
from tests.ops_center.conftest import Recorder

SERVER = Path(__file__).resolve().parents[2] / "ops_center" / "rtsp_test_server.py"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class GstRtspServer:
    def __init__(self, mounts: dict[str, str]) -> None:
        self.port = _free_port()
        args = ["/usr/bin/python3", str(SERVER), "--port", str(self.port)]
        for name, spec in mounts.items():
            args += ["--mount", f"{name}={spec}"]
        self.proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line.startswith("ready"), f"the RTSP server did not start: {line!r}"

    def url(self, name: str) -> str:
        return f"rtsp://127.0.0.1:{self.port}/{name}"

    def command(self, line: str) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline().startswith("ok")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(5)


@pytest.fixture(scope="module")
def rtsp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GstRtspServer]:
    media = tmp_path_factory.mktemp("rtsp")
    server = GstRtspServer({"street": f"file:{footage.substream(media / 'vtest.mp4')}",
                            "live": "live:640x360@10", "resize": "live:640x360@10"})
    yield server
    server.stop()


class Watched(CameraWorker):
    """A worker with the supervisor's monitor: it, not the reader, declares the camera offline."""

    def start(self) -> Watched:
        super().start()
        threading.Thread(target=self._watch, daemon=True).start()
        return self

    def _watch(self) -> None:
        while not self._stop.wait(0.5):
            self.announce(self.health.check())


def _worker(recorder: Recorder, url: str, transport: str = "tcp", people: bool = True) -> CameraWorker:
    config = CameraConfig(id="cam", name="cam", url=url, transport=transport, analysis_fps=5.0, people_fps=2.0)
    return Watched(config, recorder, offline_after_s=3.0, read_timeout_s=2.0, backoff_max_s=1.0,
                   people=people).start()


def _wait(predicate, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("transport", ["tcp", "udp"])
def test_real_people_seen_through_an_rtsp_h264_substream(rtsp: GstRtspServer, recorder: Recorder,
                                                         transport: str) -> None:
    worker = _worker(recorder, rtsp.url("street"), transport)
    try:
        assert recorder.wait_for("camera.online", "cam", 8) is not None
        assert _wait(lambda: any(p["count"] >= 2 for p in recorder.of("people.count")), 8), recorder.events
        assert worker.health.snapshot()["resolution"] == [640, 480]
        # 10 fps from the camera, analysed at 5 once the second of video buffered at start is behind.
        assert _wait(lambda: 4.0 <= worker.health.snapshot()["analysis_fps"] <= 6.0, 8), worker.health.snapshot()
    finally:
        worker.stop()


def test_a_new_resolution_reopens_the_stream(rtsp: GstRtspServer, recorder: Recorder) -> None:
    worker = _worker(recorder, rtsp.url("resize"), people=False)
    try:
        assert recorder.wait_for("camera.online", "cam", 8) is not None
        rtsp.command("size resize 480x270")
        assert _wait(lambda: recorder.of("camera.resolution"), 10), recorder.events
        [change] = recorder.of("camera.resolution")[:1]
        assert (change["from"], change["to"]) == ([640, 360], [480, 270])
        assert _wait(lambda: worker.health.snapshot()["resolution"] == [480, 270], 3)
        assert "resolution changed 640x360 -> 480x270" in (worker.health.last_error or "")
        assert worker.alive and worker.health.state == "online"
    finally:
        rtsp.command("size resize 640x360")
        worker.stop()


def test_a_camera_that_stalls_without_closing_goes_offline_and_comes_back(rtsp: GstRtspServer,
                                                                          recorder: Recorder) -> None:
    worker = _worker(recorder, rtsp.url("live"), people=False)
    try:
        assert recorder.wait_for("camera.online", "cam", 8) is not None
        stalled_at = time.time()
        rtsp.command("stall live")
        offline = recorder.wait_for("camera.offline", "cam", 8, after=stalled_at)
        # Offline within the configured 3 s (+ the monitor's tick) of the last picture the camera sent.
        assert offline is not None and offline["at"] - offline["last_frame_at"] <= 3.0 + 1.0
        assert _wait(lambda: worker.health.fault == "stalled", 6), worker.health.snapshot()
        assert worker.alive
        rtsp.command("resume live")
        assert recorder.wait_for("camera.online", "cam", 10, after=stalled_at) is not None
    finally:
        rtsp.command("resume live")
        worker.stop()


@pytest.mark.parametrize(("mode", "fault"), [("garbage", "not_rtsp"), ("mislabelled", "codec_mismatch"),
                                             ("auth", "auth")])
def test_bad_cameras_get_a_health_state_and_an_alert_never_a_dead_worker(
        mode: str, fault: str, recorder: Recorder, caplog: pytest.LogCaptureFixture) -> None:
    camera = BadRtspCamera(mode).start()
    caplog.set_level(logging.DEBUG)
    worker = _worker(recorder, camera.url(credentials="admin:s3cret-pw@"), people=False)
    try:
        offline = recorder.wait_for("camera.offline", "cam", 15)
        assert offline is not None, recorder.events
        assert _wait(lambda: worker.health.fault == fault, 15), worker.health.snapshot()
        assert worker.alive
        snap = worker.health.snapshot()
        assert snap["fault"] == fault and snap["state"] == "offline"
        everything = " ".join([caplog.text, str(recorder.events), str(snap)])
        assert "s3cret-pw" not in everything
        if mode == "auth":  # FFmpeg's message names the URL: the password in it is masked
            assert "admin:***@" in everything
    finally:
        worker.stop()
        camera.stop()
