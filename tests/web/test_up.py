"""`giaoban up` as `make run` starts it: health answers once it has started, Ctrl-C stops every child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest

from tests.conftest import free_port
from web.supervisor import Child, Supervisor

pytestmark = pytest.mark.slow


@pytest.mark.timeout(900)
def test_up_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIAOBAN_")}
    env |= {"GIAOBAN_PORT": str(port), "GIAOBAN_SIGNING_PORT": str(free_port()),
            "GIAOBAN_START_DEMO_CAMERAS": "false", "GIAOBAN_MEDIA_WORKERS": "1"}
    # Into a file, not a pipe nobody reads while waiting: the camera workers' warnings (no camera answers
    # here) filled a pipe's 64 KB in under a minute, and then every child writing to it stopped.
    log = tmp_path / "up.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "web.cli", "up"], cwd=tmp_path, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        # For as long as `up` runs: seeding and five processes importing their libraries took over two
        # minutes at a load of 20 on two cores; a start that hangs is stopped by the test's timeout.
        status = None
        while proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=10) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"up exited with code {proc.poll()} before its health answered"
        assert (tmp_path / "var" / "giaoban.db").exists()  # the embedded default, under ./var/
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "up runs its parts as child processes"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches every process of the group
        proc.wait(timeout=120)
        output = log.read_text(errors="replace")
    assert proc.returncode == 0, output[-3000:]
    assert "restarting" not in output, output[-3000:]  # nothing that stopped with it is started again
    assert "giaoban-demo" in output and "chutoa" in output  # demo accounts printed on first start
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]


def test_supervisor_restarts_a_crashed_child_with_backoff(tmp_path: Path) -> None:
    marker = tmp_path / "starts"
    # Crashes on its first two starts, then stays up.
    script = (f"import pathlib, sys, time; p = pathlib.Path({str(marker)!r}); "
              "p.write_text((p.read_text() if p.exists() else '') + 'x'); "
              "sys.exit(3) if len(p.read_text()) < 3 else time.sleep(60)")
    supervisor = Supervisor([Child("flaky", [sys.executable, "-c", script])], max_backoff=0.3)
    supervisor.start_all()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (marker.exists() and len(marker.read_text()) == 3):
        supervisor.step()
        time.sleep(0.05)
    child = supervisor.children[0]
    assert marker.read_text() == "xxx" and child.restarts == 2
    time.sleep(0.5)
    supervisor.step()
    assert child.process is not None and child.process.poll() is None  # the third start stays up
    supervisor.stop(grace=5)
    assert child.process.poll() is not None


@pytest.mark.parametrize(("exit_code", "attempts"), [(1, 3), (78, 1)])
def test_supervisor_stops_everything_when_a_child_cannot_start(exit_code: int, attempts: int, tmp_path: Path) -> None:
    """A child that dies at once on every start (or says with code 78 that starting again will not
    help) is not started again and again: everything stops, and the message names the child and
    the cause it wrote."""
    marker = tmp_path / "starts"
    script = (f"import pathlib, sys; p = pathlib.Path({str(marker)!r}); "
              "p.write_text((p.read_text() if p.exists() else '') + 'x'); "
              f"print('OSError: AF_UNIX path too long', file=sys.stderr); sys.exit({exit_code})")
    steady = Child("web", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([Child("media", [sys.executable, "-c", script]), steady], max_backoff=0.1)
    assert supervisor.run() == 1
    assert marker.read_text() == "x" * attempts
    assert supervisor.failure == (f"media cannot start (exit code {exit_code}"
                                  f"{', 3 attempts' if exit_code == 1 else ''}): OSError: AF_UNIX path too long")
    assert steady.process is not None and steady.process.poll() is not None  # the others were stopped
