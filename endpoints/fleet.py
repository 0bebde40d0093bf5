"""The province's whole fleet in a few processes: each process runs several endpoint agents on one
asyncio loop (pre-encoded test scene, counting sink), the parent starts the processes, restarts one
that dies, and stops them all on Ctrl-C or SIGTERM. The fleet is the endpoints of a unit set: the 26
district endpoints, or the 130 communes and wards (`GIAOBAN_UNIT_SET`)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from core.province import endpoints as configured_endpoints
from core.province import load_config
from core.unit_sets import UnitSet, current
from endpoints.agent import AgentOptions, EndpointAgent
from endpoints.credentials import Credentials
from endpoints.server_client import ServerClient
from endpoints.sink import install_counting_decoder
from endpoints.sources import MediaSet, SourceSpec

log = logging.getLogger(__name__)

DEFAULT_DEMO_PASSWORD = "giaoban-demo"
# Logins cost the server a password hash each: a fleet process spreads its agents' first logins.
STAGGER_S = 1.5


@dataclass(frozen=True)
class FleetMember:
    endpoint_id: str
    name: str
    slot: int


def fleet_members(count: int | None = None, unit_set: UnitSet | str | None = None) -> list[FleetMember]:
    """The first `count` endpoints (all when None) of a unit set (default: the current one)."""
    chosen = current() if unit_set is None else UnitSet(unit_set)
    specs = configured_endpoints(load_config(unit_set=chosen))
    count = len(specs) if count is None else count
    if count > len(specs):
        raise ValueError(f"the unit set {chosen.value} has {len(specs)} endpoints; --count {count} is too many")
    return [FleetMember(spec.username, spec.name, index) for index, spec in enumerate(specs[:count])]


def demo_password() -> str:
    return os.environ.get("GIAOBAN_DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)


def split(members: list[FleetMember], processes: int) -> list[list[FleetMember]]:
    processes = max(1, min(processes, len(members)))
    return [members[i::processes] for i in range(processes)]


def _prepare(args: tuple[str, str, int, str]) -> str:
    name, endpoint_id, slot, var_dir = args
    MediaSet(name, endpoint_id, SourceSpec("test"), SourceSpec("test"), Path(var_dir), slot=slot).prepare()
    return endpoint_id


def prepare_clips(members: list[FleetMember], var_dir: Path, processes: int = 2) -> None:
    """Encode (once; they are cached) the clips of `members` in parallel processes."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    jobs = [(m.name, m.endpoint_id, m.slot, str(var_dir)) for m in members]
    with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        for endpoint_id in pool.map(_prepare, jobs):
            log.debug("clips ready for %s", endpoint_id)


def make_agent(server: str, member: FleetMember, var_dir: Path, password: str,
               options: AgentOptions) -> EndpointAgent:
    media = MediaSet(member.name, member.endpoint_id, SourceSpec("test"), SourceSpec("test"), var_dir,
                     slot=member.slot)
    media.prepare()
    client = ServerClient(server, Credentials(member.endpoint_id, password, "demo password"))
    return EndpointAgent(client, member.endpoint_id, media, options)


async def run_part(server: str, members: list[FleetMember], var_dir: Path, health_interval: float = 5.0) -> int:
    """One fleet process: its agents side by side until SIGTERM/SIGINT."""
    install_counting_decoder()
    password = demo_password()
    options = AgentOptions(sink_mode="count", health_interval=health_interval)
    agents = [make_agent(server, member, var_dir, password, options) for member in members]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: [agent.stop() for agent in agents])
    codes = await asyncio.gather(*(_staggered(agent, index * STAGGER_S) for index, agent in enumerate(agents)))
    return max(codes, default=0)


async def _staggered(agent: EndpointAgent, delay: float) -> int:
    await asyncio.sleep(delay)
    return await agent.run()


def part_argv(server: str, members: list[FleetMember], var_dir: Path, unit_set: UnitSet) -> list[str]:
    ids = ",".join(m.endpoint_id for m in members)
    return [sys.executable, "-m", "endpoints.cli", "fleet-part", "--server", server, "--ids", ids,
            "--var-dir", str(var_dir), "--unit-set", unit_set.value]


class Fleet:
    """The parent of the fleet processes (also used by the resilience bench)."""

    def __init__(self, server: str, count: int | None, processes: int, var_dir: Path, log_dir: Path | None = None,
                 members: list[FleetMember] | None = None, unit_set: UnitSet | str | None = None) -> None:
        self.server, self.var_dir = server, var_dir
        self.unit_set = current() if unit_set is None else UnitSet(unit_set)
        self.parts = split(members if members is not None else fleet_members(count, self.unit_set), processes)
        self.log_dir = log_dir
        self.children: list[subprocess.Popen[bytes] | None] = [None] * len(self.parts)
        self.restarts = 0
        self.env: dict[str, str] | None = None

    def _start(self, index: int) -> None:
        out = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            out = open(self.log_dir / f"fleet-{index}.log", "ab")  # noqa: SIM115 - handed to the child
        self.children[index] = subprocess.Popen(part_argv(self.server, self.parts[index], self.var_dir, self.unit_set),
                                                stdout=out, stderr=subprocess.STDOUT if out else None, env=self.env)
        if out is not None:
            out.close()

    def start(self) -> None:
        for index in range(len(self.parts)):
            self._start(index)

    def check(self) -> None:
        for index, child in enumerate(self.children):
            if child is not None and child.poll() is not None:
                code = child.returncode
                if code in (2, 3):
                    log.error("fleet process %d exited with %d (bad credentials or usage): not restarting",
                              index, code)
                    self.children[index] = None
                    continue
                log.warning("fleet process %d exited with %s; restarting", index, code)
                self.restarts += 1
                self._start(index)

    def pids(self) -> list[int]:
        return [c.pid for c in self.children if c is not None]

    def run_until_signalled(self, on_started: Callable[[], None] = lambda: None) -> None:
        """Start, restart what dies, and stop everything on SIGTERM or Ctrl-C (the handlers only
        set a flag: stopping children from inside a signal handler could interrupt a restart)."""
        stopping = False

        def _stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        self.start()
        on_started()
        try:
            while not stopping:
                time.sleep(0.5)
                self.check()
        finally:
            self.stop()

    def stop(self, grace: float = 8.0) -> None:
        running = [c for c in self.children if c is not None and c.poll() is None]
        for child in running:
            child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for child in running:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
