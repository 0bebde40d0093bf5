"""`giaoban up`: one supervisor for the web process, the media workers, the signing service and the
camera workers. A child that dies is restarted with growing back-off; Ctrl-C stops them all cleanly."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

log = logging.getLogger("giaoban.supervisor")


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)


class Supervisor:
    def __init__(self, children: list[Child], max_backoff: float = 30.0) -> None:
        self.children = children
        self.max_backoff = max_backoff
        self._stopping = False

    def _start(self, child: Child) -> None:
        log.info("starting %s: %s", child.name, " ".join(child.argv))
        child.process = subprocess.Popen(child.argv, env=os.environ.copy())
        child.started_at = time.monotonic()

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %s: stopping everything", signal.Signals(signum).name)
        self._stopping = True

    def start_all(self) -> None:
        for child in self.children:
            self._start(child)

    def step(self) -> None:
        """One look at every child: schedule a restart for the dead, start those whose back-off is over."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                # A child that ran a while before dying was healthy: start its back-off afresh.
                if now - child.started_at > 60:
                    child.restarts = 0
                delay = min(self.max_backoff, 2.0 ** child.restarts)
                log.warning("%s exited with %s; restarting in %.1f s", child.name, code, delay)
                child.process, child.next_start = None, now + delay
                child.restarts += 1
            elif child.process is None and now >= child.next_start:
                self._start(child)

    def run(self) -> int:
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self.start_all()
        while not self._stopping:
            self.step()
            time.sleep(0.25)
        return self.stop()

    def stop(self, grace: float = 15.0) -> int:
        running = [c for c in self.children if c.process is not None and c.process.poll() is None]
        for child in running:
            child.process.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
        deadline = time.monotonic() + grace
        for child in running:
            try:
                child.process.wait(max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %.0f s; killing it", child.name, grace)
                child.process.kill()  # type: ignore[union-attr]
        return 0


def giaoban_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "web.cli", *args]
