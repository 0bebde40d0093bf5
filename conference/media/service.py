"""`run(settings)`: start the media workers (one process per `settings.media_workers`) and keep
them running; `giaoban up` calls it. Control sockets and the mesh live in a short private
directory of this installation (`core.socket_dir`), whatever the length of the data directory's
path. A worker that cannot start stops the service with its cause (exit code 78) instead of being
started again and again."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from core.socket_dir import SocketDirError, make_socket_dir, remove_socket_dir, socket_dir

from .worker import run_worker

logger = logging.getLogger(__name__)
# A worker that dies before it listens this many times in a row cannot start: trying again will not help.
START_ATTEMPTS = 3
CANNOT_START = getattr(os, "EX_CONFIG", 78)  # the exit code that tells the supervisor not to restart us


class WorkerStartError(RuntimeError):
    """A media worker cannot start; the message names the cause."""


def media_run_dir(var_dir: Path) -> Path:
    return socket_dir(var_dir, "media")


class WorkerPool:
    """The worker processes; a worker that dies is started again under the same index."""

    def __init__(self, run_dir: Path, count: int, ice_addresses: list[str] | None = None, nice: int = 0) -> None:
        self.run_dir = run_dir
        self.count = count
        self.ice_addresses = ice_addresses
        self.nice = nice
        self._ctx = multiprocessing.get_context("spawn")
        self.processes: list[multiprocessing.process.BaseProcess | None] = [None] * count
        # What each worker said about its start ("ready", or why it could not start).
        self._reports: list[Connection | None] = [None] * count
        self._ready = [False] * count
        self._causes: list[str | None] = [None] * count
        self._failed_starts = [0] * count

    def start(self) -> None:
        make_socket_dir(self.run_dir)
        for index in range(self.count):
            self._start(index)

    def _start(self, index: int) -> None:
        receiver, sender = self._ctx.Pipe(duplex=False)
        process = self._ctx.Process(target=run_worker, name=f"giaoban-media-{index}",
                                    args=(index, self.count, str(self.run_dir), self.ice_addresses, self.nice,
                                          sender),
                                    # Die with the parent, unless the parent is itself a daemon
                                    # process (those may not have daemon children).
                                    daemon=not multiprocessing.current_process().daemon)
        process.start()
        sender.close()
        if self._reports[index] is not None:
            self._reports[index].close()  # type: ignore[union-attr]
        self._reports[index], self._ready[index], self._causes[index] = receiver, False, None
        self.processes[index] = process

    def _hear(self, index: int) -> None:
        report = self._reports[index]
        with contextlib.suppress(EOFError, OSError):
            while report is not None and report.poll():
                said = report.recv()
                if said == "ready":
                    self._ready[index], self._failed_starts[index] = True, 0
                else:
                    self._causes[index] = str(said)

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p is not None and p.pid is not None]

    def check(self) -> None:
        """Start again a worker that died. Raises WorkerStartError, naming the cause, once one has
        died before it listened START_ATTEMPTS times in a row."""
        for index, process in enumerate(self.processes):
            if process is None:
                continue
            self._hear(index)
            if process.is_alive():
                continue
            self._hear(index)  # what it said before it died
            if not self._ready[index]:
                self._failed_starts[index] += 1
                if self._failed_starts[index] >= START_ATTEMPTS:
                    cause = self._causes[index] or f"it exited with code {process.exitcode}"
                    raise WorkerStartError(f"media worker {index} cannot start: {cause} (sockets in "
                                           f"{self.run_dir}; {START_ATTEMPTS} attempts)")
            logger.warning("media worker %d exited (%s); restarting", index, process.exitcode)
            self._start(index)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every worker listens; WorkerStartError naming the cause if one cannot start."""
        deadline = time.monotonic() + timeout
        while True:
            self.check()
            if all(self._ready):
                return
            if time.monotonic() > deadline:
                waiting = [index for index, ready in enumerate(self._ready) if not ready]
                raise WorkerStartError(f"media workers {waiting} did not start within {timeout:.0f} s")
            time.sleep(0.05)

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.is_alive():
                process.terminate()
        for process in self.processes:
            if process is not None:
                process.join(5)
                if process.is_alive():
                    process.kill()
                    process.join(5)
        for report in self._reports:
            if report is not None:
                report.close()
        self._reports = [None] * self.count
        remove_socket_dir(self.run_dir)


def run(settings) -> None:
    """Blocking: run `settings.media_workers` media workers until SIGTERM/SIGINT. Exits with
    CANNOT_START, naming the cause, when a worker cannot start."""
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers,
                      getattr(settings, "media_ice_addresses", None) or None,
                      getattr(settings, "media_nice", 0))
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        pool.start()
        while not stopping:
            time.sleep(0.5)
            # Ctrl-C or a process-group SIGTERM reaches the workers too: do not start again
            # the ones that just stopped with us (the web process would renegotiate onto them).
            if not stopping:
                pool.check()
    except (WorkerStartError, SocketDirError) as exc:
        logger.error("%s", exc)
        raise SystemExit(CANNOT_START) from exc
    finally:
        pool.stop()
