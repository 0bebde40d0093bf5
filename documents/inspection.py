"""Uploaded files are opened (parsed, unpacked, text extracted, signatures validated) in worker processes,
never in the web process and never while a database transaction is open: a hostile file can then cost
one worker at most its time limit and memory limit, the worker is killed when it overruns, and everyone
else's requests and writes go on. The uploader gets 422 with the reason.

The pool (pebble) keeps `WORKERS` processes started with `spawn`, at a lower CPU priority than the web
process and with an address-space limit; a worker is replaced after a timeout, a crash or `MAX_TASKS`.

The time limit is processor time (RLIMIT_CPU, raised per task): a niced worker on a busy machine may
wait long for a core, and a legitimate file must not be refused for the machine's load. A wall-clock
limit `WALL_FACTOR` times longer still stops a worker that waits on nothing."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import math
import multiprocessing
import os
import resource
import signal
import threading
from collections.abc import Callable
from concurrent.futures import CancelledError
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from pebble import ProcessExpired, ProcessPool

from core.errors import Kind
from documents.edxml import DocumentPackage, parse_document
from documents.filecheck import CheckedFile, FileRejected, check_file

T = TypeVar("T")
WORKERS = 2
MAX_TASKS = 200
TIME_LIMIT_S = 20.0  # per file; the work budgets of documents.filecheck refuse most hostile files long before
MEMORY_LIMIT_BYTES = 2 * 1024**3
NICENESS = 10
WALL_FACTOR = 10

_pool: ProcessPool | None = None
_lock = threading.Lock()


def _worker_start() -> None:
    with contextlib.suppress(OSError, ValueError):
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT_BYTES, MEMORY_LIMIT_BYTES))
    with contextlib.suppress(OSError):
        os.nice(NICENESS)  # the web process answers first when the machine is busy


def pool() -> ProcessPool:
    global _pool
    with _lock:
        if _pool is None or not _pool.active:
            _pool = ProcessPool(max_workers=WORKERS, max_tasks=MAX_TASKS, initializer=_worker_start,
                                context=multiprocessing.get_context("spawn"))
        return _pool


def _ready() -> bool:
    return True


async def warm_up() -> None:
    """Start the workers now (a spawn costs about a second of CPU), not on the first upload."""
    with contextlib.suppress(Exception):
        await asyncio.wrap_future(schedule(_ready, limit=60))


@atexit.register
def _stop() -> None:
    if _pool is not None:
        _pool.stop()
        _pool.join(timeout=5)


def _bounded(fn: Callable[..., T], cpu_seconds: float, *args: Any) -> T:
    """`fn(*args)` stopped by SIGXCPU once it used `cpu_seconds` of processor time (this worker runs
    many tasks: the limit counts from what it has used so far)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
    limit = math.ceil(usage.ru_utime + usage.ru_stime + cpu_seconds)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
    try:
        return fn(*args)
    finally:
        resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def _refusal(what: str, exc: BaseException, limit: float) -> FileRejected:
    if isinstance(exc, ProcessExpired) and exc.exitcode == -signal.SIGXCPU:
        return FileRejected(
            Kind.invalid, f"Tệp {what} cần quá {limit:g} giây xử lý để kiểm tra nên bị từ chối / checking {what} "
                                 f"took more than {limit:g} s of processor time and was stopped: the file is too "
                                 "complex (or hostile)")
    if isinstance(exc, FutureTimeout):
        wall = limit * WALL_FACTOR
        return FileRejected(
            Kind.invalid, f"Tệp {what} cần quá {wall:g} giây để kiểm tra nên bị từ chối / checking {what} "
                                 f"took more than {wall:g} s and was stopped: the file is too complex (or hostile)")
    return FileRejected(
        Kind.invalid, f"Không kiểm tra được tệp {what} / checking {what} exhausted its memory or crashed "
                             f"({type(exc).__name__}): the file is refused")


def schedule(fn: Callable[..., T], *args: Any, limit: float | None = None) -> Any:
    cpu_seconds = limit or TIME_LIMIT_S
    return pool().schedule(_bounded, args=(fn, cpu_seconds, *args), timeout=cpu_seconds * WALL_FACTOR)


def run(what: str, fn: Callable[..., T], *args: Any, limit: float | None = None) -> T:
    """`fn(*args)` in a worker (from a thread); FileRejected when it overruns or dies."""
    future = schedule(fn, *args, limit=limit)
    try:
        return future.result()
    except (FutureTimeout, ProcessExpired, CancelledError, BrokenProcessPool) as exc:
        raise _refusal(what, exc, limit or TIME_LIMIT_S) from exc


async def run_async(what: str, fn: Callable[..., T], *args: Any, limit: float | None = None) -> T:
    """The same from the event loop, holding no thread while the worker works."""
    future = schedule(fn, *args, limit=limit)
    try:
        return await asyncio.wrap_future(future)
    except (FutureTimeout, ProcessExpired, CancelledError, BrokenProcessPool) as exc:
        raise _refusal(what, exc, limit or TIME_LIMIT_S) from exc


async def check(name: str, data: bytes) -> CheckedFile:
    """documents.filecheck.check_file in a worker."""
    return await run_async(repr(name[:80]), check_file, name, data)


def read_package(data: bytes) -> tuple[DocumentPackage, list[CheckedFile]]:
    """Worker side: an edXML document package parsed, and each of its files checked."""
    package = parse_document(data)
    return package, [check_file(part.name, part.data) for part in package.files]


async def package(data: bytes) -> tuple[DocumentPackage, list[CheckedFile]]:
    """An edXML package read and its files checked in a worker (EdxmlError or FileRejected when refused)."""
    return await run_async("edXML", read_package, data)
