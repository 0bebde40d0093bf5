"""`giaoban up` runs this: the demo fleet when `GIAOBAN_START_DEMO_FLEET=true` (so that the demo
meeting is full), otherwise nothing but waiting for the supervisor's stop signal."""

from __future__ import annotations

import logging
import signal
import threading
import time
import urllib.request

log = logging.getLogger(__name__)


def _server_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def run(settings) -> None:  # type: ignore[no-untyped-def]
    if not settings.start_demo_fleet:
        stopped = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stopped.set())
        signal.signal(signal.SIGINT, lambda *_: stopped.set())
        while not stopped.wait(1):
            pass
        return
    from endpoints.fleet import Fleet

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    server = f"http://{host}:{settings.port}"
    while not _server_up(server):
        time.sleep(1)
    fleet = Fleet(server, None, 3, settings.var_dir, log_dir=settings.var_dir / "log", unit_set=settings.unit_set)
    size = sum(len(part) for part in fleet.parts)
    fleet.run_until_signalled(lambda: log.info("demo fleet: %d endpoints (%s) → %s (logs in %s)", size,
                                               settings.unit_set, server, settings.var_dir / "log"))
