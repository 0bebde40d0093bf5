"""`giaoban up` as `make run` starts it: health answers within two minutes, Ctrl-C stops every child."""

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


def test_up_serves_health_and_stops_cleanly(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIAOBAN_")}
    env |= {"GIAOBAN_PORT": str(port), "GIAOBAN_SIGNING_PORT": str(free_port()),
            "GIAOBAN_START_DEMO_CAMERAS": "false", "GIAOBAN_MEDIA_WORKERS": "1"}
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "web.cli", "up"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        status = None
        while time.monotonic() - started < 120 and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=2) as r:
                    status = r.status
                    break
            except OSError:
                time.sleep(0.5)
        assert status == 200, f"no health within 120 s; exit code {proc.poll()}"
        assert (tmp_path / "var" / "giaoban.db").exists()  # the embedded default, under ./var/
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children, "up runs its parts as child processes"
    finally:
        os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C in a terminal reaches every process of the group
        output = proc.communicate(timeout=30)[0].decode(errors="replace")
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
