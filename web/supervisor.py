"""`giaoban up`: one supervisor for the web process, the media workers, the signing service and the
camera workers. A child that dies is restarted with growing back-off; Ctrl-C stops them all cleanly.
A child that cannot start (it exits with code 78, or dies soon after its start three times in a
row) stops everything, with a message naming the child and the last line it wrote (its cause),
instead of being started again and again."""

from __future__ import annotations

import collections
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import IO

log = logging.getLogger("giaoban.supervisor")
CANNOT_START = getattr(os, "EX_CONFIG", 78)  # a child's way of saying that starting it again will not help
START_ATTEMPTS = 3  # deaths in a row, each within STARTUP_SECONDS of its start: it cannot start
STARTUP_SECONDS = 30.0


@dataclass
class Child:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    next_start: float = 0.0
    started_at: float = field(default=0.0)
    failed_starts: int = 0
    last_lines: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=20))
    relay: threading.Thread | None = None

    def cause(self) -> str:
        """The last error it wrote to stderr (a server logs its shutdown after the error that
        stopped it), else its last line."""
        lines = [line.strip() for line in self.last_lines if line.strip()]
        errors = [line for line in lines if "error" in line.lower()]
        return (errors or lines or ["it wrote nothing"])[-1]


class Supervisor:
    def __init__(self, children: list[Child], max_backoff: float = 30.0) -> None:
        self.children = children
        self.max_backoff = max_backoff
        self._stopping = False
        self.failure: str | None = None  # why everything stopped: a child that cannot start

    def _start(self, child: Child) -> None:
        log.info("starting %s: %s", child.name, " ".join(child.argv))
        child.process = subprocess.Popen(child.argv, env=os.environ.copy(), stderr=subprocess.PIPE)
        child.started_at = time.monotonic()
        child.relay = threading.Thread(target=_relay, args=(child.process.stderr, child.last_lines), daemon=True,
                                       name=f"stderr of {child.name}")
        child.relay.start()

    def _on_signal(self, signum: int, _frame: object) -> None:
        log.info("signal %s: stopping everything", signal.Signals(signum).name)
        self._stopping = True

    def start_all(self) -> None:
        for child in self.children:
            self._start(child)

    def step(self) -> None:
        """One look at every child: schedule a restart for the dead, start those whose back-off is
        over; `failure` says why when one cannot start."""
        now = time.monotonic()
        for child in self.children:
            if child.process is not None and child.process.poll() is not None:
                code = child.process.returncode
                # A child that ran a while before dying was healthy: start its back-off afresh.
                if now - child.started_at > 60:
                    child.restarts = 0
                child.failed_starts = child.failed_starts + 1 if now - child.started_at < STARTUP_SECONDS else 0
                if code == CANNOT_START or child.failed_starts >= START_ATTEMPTS:
                    if child.relay is not None:  # its last lines (the end of its stderr)
                        child.relay.join(2)
                    self.failure = (f"{child.name} cannot start (exit code {code}"
                                    f"{'' if code == CANNOT_START else f', {child.failed_starts} attempts'}): "
                                    f"{child.cause()}")
                    log.error("%s; stopping everything", self.failure)
                    child.process = None
                    return
                delay = min(self.max_backoff, 2.0 ** child.restarts)
                log.warning("%s exited with %s; restarting in %.1f s", child.name, code, delay)
                child.process, child.next_start = None, now + delay
                child.restarts += 1
            elif child.process is None and now >= child.next_start:
                self._start(child)

    def run(self) -> int:
        """Until Ctrl-C/SIGTERM (exit code 0) or a child that cannot start (1)."""
        signal.signal(signal.SIGINT, self._on_signal)
        signal.signal(signal.SIGTERM, self._on_signal)
        self.start_all()
        while not self._stopping and self.failure is None:
            self.step()
            time.sleep(0.25)
        self.stop()
        return 1 if self.failure else 0

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


def _relay(stream: IO[bytes] | None, last_lines: collections.deque[str]) -> None:
    """Copy a child's stderr to ours, keeping its last lines."""
    if stream is None:
        return
    for line in stream:
        text = line.decode(errors="replace")
        out = getattr(sys.stderr, "buffer", None)
        if out is not None:
            out.write(line)
            out.flush()
        else:
            sys.stderr.write(text)
        last_lines.append(text.rstrip())


def giaoban_argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "web.cli", *args]
