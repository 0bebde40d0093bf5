"""`run(settings)`: start the media workers (one process per `settings.media_workers`) and keep
them running; `giaoban up` calls it. Control sockets and the mesh live in `var/media/`."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from pathlib import Path

from .worker import run_worker

logger = logging.getLogger(__name__)


def media_run_dir(var_dir: Path) -> Path:
    return Path(var_dir) / "media"


class WorkerPool:
    """The worker processes; a worker that dies is started again under the same index."""

    def __init__(self, run_dir: Path, count: int, ice_addresses: list[str] | None = None, nice: int = 0) -> None:
        self.run_dir = run_dir
        self.count = count
        self.ice_addresses = ice_addresses
        self.nice = nice
        self._ctx = multiprocessing.get_context("spawn")
        self.processes: list[multiprocessing.process.BaseProcess | None] = [None] * count

    def start(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        for index in range(self.count):
            self._start(index)

    def _start(self, index: int) -> None:
        process = self._ctx.Process(target=run_worker, name=f"giaoban-media-{index}",
                                    args=(index, self.count, str(self.run_dir), self.ice_addresses, self.nice),
                                    # Die with the parent, unless the parent is itself a daemon
                                    # process (those may not have daemon children).
                                    daemon=not multiprocessing.current_process().daemon)
        process.start()
        self.processes[index] = process

    def pids(self) -> list[int]:
        return [p.pid for p in self.processes if p is not None and p.pid is not None]

    def check(self) -> None:
        for index, process in enumerate(self.processes):
            if process is not None and not process.is_alive():
                logger.warning("media worker %d exited (%s); restarting", index, process.exitcode)
                self._start(index)

    def stop(self) -> None:
        for process in self.processes:
            if process is not None and process.is_alive():
                process.terminate()
        for process in self.processes:
            if process is not None:
                process.join(5)
                if process.is_alive():
                    process.kill()


def run(settings) -> None:
    """Blocking: run `settings.media_workers` media workers until SIGTERM/SIGINT."""
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers,
                      getattr(settings, "media_ice_addresses", None) or None,
                      getattr(settings, "media_nice", 0))
    pool.start()
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
    try:
        while not stopping:
            time.sleep(1)
            # Ctrl-C or a process-group SIGTERM reaches the workers too: do not start again
            # the ones that just stopped with us (the web process would renegotiate onto them).
            if not stopping:
                pool.check()
    finally:
        pool.stop()
