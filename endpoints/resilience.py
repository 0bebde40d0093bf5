"""`giaoban bench resilience`: a full provincial meeting on a fresh database - the web process and the
media workers started as `giaoban up` starts them, the districts as the fleet (one of them alone in
a network namespace) - put through three faults: one media worker killed (SIGKILL; its supervisor
restarts it), the whole server restarted (SIGTERM, start again), one endpoint's network cut. Who
came back and when is read from the server's own attendance record, which must show each outage."""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import zlib
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import psutil

from core.db import make_engine, session_factory, session_scope
from core.province import ensure_people, ensure_units, load_config
from core.settings import get_settings
from core.socket_dir import socket_dir
from core.unit_sets import UnitSet
from endpoints.fleet import Fleet, demo_password, fleet_members, prepare_clips
from endpoints.netcut import NetnsUnavailable, NetworkNamespace

log = logging.getLogger("giaoban.bench.resilience")
REJOIN_WAIT_S = 60.0


def giaoban_command() -> list[str]:
    """The product's own command, installed with the package: the bench starts the server as an operator
    does (`giaoban serve`, `giaoban service conference`), not by importing or naming the web layer."""
    beside = Path(sys.executable).with_name("giaoban")
    found = str(beside) if beside.exists() else shutil.which("giaoban")
    if found is None:
        raise RuntimeError("the `giaoban` command is not installed: run `pip install -e .` (or `make run`) first")
    return [found]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _epoch(text: str | None) -> float | None:
    return datetime.fromisoformat(text).timestamp() if text else None


class Server:
    """The web process and the media-worker service, as `giaoban up` starts them."""

    def __init__(self, env: dict[str, str], host: str, port: int, log_dir: Path) -> None:
        self.env, self.host, self.port, self.log_dir = env, host, port, log_dir
        self.web: subprocess.Popen[bytes] | None = None
        self.media: subprocess.Popen[bytes] | None = None
        self.url = f"http://127.0.0.1:{port}"

    def _spawn(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        with open(self.log_dir / f"{name}.log", "ab") as out:
            return subprocess.Popen([*giaoban_command(), *args], env=self.env, stdout=out,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def start(self, timeout: float = 90) -> float:
        self.media = self._spawn("media", "service", "conference")
        self.web = self._spawn("web", "serve", "--host", self.host, "--port", str(self.port))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, proc in (("web", self.web), ("media", self.media)):
                if proc.poll() is not None:
                    raise RuntimeError(f"the {name} process exited ({proc.returncode}): "
                                       f"{last_line(self.log_dir / f'{name}.log')}; see {self.log_dir}/{name}.log")
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return time.time()
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server did not come up in {timeout:.0f} s; see {self.log_dir}/web.log")

    def stop(self, sig: int = signal.SIGTERM, grace: float = 20) -> bool:
        """True when everything stopped within `grace` (otherwise the rest is killed)."""
        clean = True
        for proc in (self.web, self.media):
            if proc is not None and proc.poll() is None:
                os.killpg(proc.pid, sig)
        for proc in (self.web, self.media):
            if proc is None:
                continue
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                clean = False
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        return clean

    def worker_pids(self) -> list[int]:
        """The media workers running now. A worker that has just died may still be listed, as a
        zombie its service has not reaped yet, or be gone by the time it is asked: not running."""
        if self.media is None:
            return []
        pids = []
        for child in psutil.Process(self.media.pid).children(recursive=True):
            try:
                if child.status() != psutil.STATUS_ZOMBIE and "spawn_main" in " ".join(child.cmdline()):
                    pids.append(child.pid)
            except (psutil.NoSuchProcess, psutil.AccessDenied):  # ZombieProcess is a NoSuchProcess
                continue
        return sorted(pids)


def last_line(path: Path) -> str:
    lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return lines[-1] if lines else "no output"


class Observer:
    """Reads the meeting through the public API as the secretary (attendance) and operator (registry)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.tokens: dict[str, str] = {}

    def _token(self, username: str) -> str:
        if username not in self.tokens:
            response = httpx.post(f"{self.url}/api/auth/login", json={"username": username,
                                                                      "password": demo_password()}, timeout=30)
            response.raise_for_status()
            self.tokens[username] = response.json()["access_token"]
        return self.tokens[username]

    def _get(self, username: str, path: str) -> Any:
        for attempt in range(3):
            response = httpx.get(f"{self.url}{path}", headers={"Authorization": f"Bearer {self._token(username)}"},
                                 timeout=30)
            if response.status_code != 401:
                break
            # A token used at once after its login can arrive before the login's commit; then log in anew.
            time.sleep(0.5)
            if attempt:
                self.tokens.pop(username, None)
        response.raise_for_status()
        return response.json()

    def post(self, username: str, path: str, body: dict | None = None) -> Any:
        self._get(username, "/api/auth/me")
        response = httpx.post(f"{self.url}{path}", json=body, timeout=30,
                              headers={"Authorization": f"Bearer {self._token(username)}"})
        response.raise_for_status()
        return response.json()

    def intervals(self, meeting_id: int) -> dict[str, list[dict[str, Any]]]:
        try:
            record = self._get("thuky", f"/api/meetings/{meeting_id}/attendance")
        except httpx.HTTPError:
            return {}
        out: dict[str, list[dict[str, Any]]] = {}
        for unit in record.get("units", []):
            for interval in unit.get("intervals", []):
                out.setdefault(interval["participant"], []).append(interval)
        return out

    def registry(self) -> dict[str, dict[str, Any]]:
        try:
            return {e["username"]: e for e in self._get("vanhanh", "/api/endpoints")["endpoints"]}
        except httpx.HTTPError:
            return {}


def present(intervals: dict[str, list[dict[str, Any]]], since: float = 0.0) -> dict[str, float]:
    """Participants with an open attendance interval that began at or after `since`: their join time."""
    found = {}
    for pid, rows in intervals.items():
        for row in rows:
            joined = _epoch(row["joined_at"]) or 0.0
            if row["left_at"] is None and joined >= since:
                found[pid] = joined
    return found


def wait_back(observer: Observer, meeting_id: int, who: set[str], since: float, timeout: float = REJOIN_WAIT_S,
              ) -> dict[str, float]:
    """Join times of those in `who` back in the meeting since `since`, counting only attendances that
    are still open a few seconds later (a join whose media then fails is not a rejoin)."""
    deadline = time.time() + timeout
    back: dict[str, float] = {}
    while time.time() < deadline:
        seen = {pid: t for pid, t in present(observer.intervals(meeting_id), since).items() if pid in who}
        if len(seen) == len(who):
            time.sleep(3)
            again = present(observer.intervals(meeting_id), since)
            back = {pid: t for pid, t in seen.items() if again.get(pid) == t}
            if len(back) == len(who):
                return back
        else:
            back = seen
        time.sleep(0.5)
    return back


def wait_worker(socket_path: Path, after: float, timeout: float = 60) -> float | None:
    """When the restarted worker's control socket appears (it is created when the worker listens)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if socket_path.stat().st_mtime > after:
                return time.time()
        except FileNotFoundError:
            pass
        time.sleep(0.1)
    return None


def closed_since(intervals: dict[str, list[dict[str, Any]]], since: float) -> set[str]:
    return {pid for pid, rows in intervals.items()
            if any(r["left_at"] and (_epoch(r["left_at"]) or 0) >= since for r in rows)}


def gap_shown(rows: list[dict[str, Any]], fault_at: float, back_at: float | None) -> bool:
    """The record shows the outage: present before the fault, and absent (no interval covering that
    moment) just before the attendance of the return began."""
    if back_at is None:
        return False
    spans = [(_epoch(r["joined_at"]) or 0.0, _epoch(r["left_at"]) or float("inf")) for r in rows]
    was_there = any(start < fault_at for start, _ in spans)
    moment = back_at - 0.5
    return was_there and not any(start <= moment < end for start, end in spans)


def fault_summary(name: str, observer: Observer, meeting_id: int, affected: set[str], fault_at: float,
                  measured_from: float, note: str) -> dict[str, Any]:
    back = wait_back(observer, meeting_id, affected, since=fault_at)
    rejoin = {pid: round(back[pid] - measured_from, 2) for pid in back}
    outage = {pid: round(back[pid] - fault_at, 2) for pid in back}
    result = {
        "fault": name, "affected": len(affected), "rejoined": len(back), "missing": sorted(affected - set(back)),
        "max_rejoin_s": max(rejoin.values(), default=None),
        "median_rejoin_s": sorted(rejoin.values())[len(rejoin) // 2] if rejoin else None,
        "rejoin_measured_from": note, "max_outage_s": max(outage.values(), default=None),
        "_fault_at": fault_at, "_back": back,
    }
    log.info("%s: %d/%d back, max %.1f s", name, len(back), len(affected), result["max_rejoin_s"] or -1)
    return result


def judge_gaps(observer: Observer, meeting_id: int, fault: dict[str, Any], affected: set[str]) -> None:
    """On the final record (attendance rows are closed asynchronously): each outage must show as a gap."""
    intervals = observer.intervals(meeting_id)
    fault_at, back = fault.pop("_fault_at"), fault.pop("_back")
    gaps = {pid: gap_shown(intervals.get(pid, []), fault_at, back.get(pid)) for pid in affected}
    fault["record_gaps_ok"] = bool(affected) and all(gaps.values())
    fault["record_gaps_missing"] = sorted(pid for pid, ok in gaps.items() if not ok)


def seed(env: dict[str, str], run_dir: Path) -> None:
    """Schema (every area's migrations, through the CLI) and the province's units and accounts only:
    the other areas' demo data has nothing to do with this bench."""
    subprocess.run([*giaoban_command(), "db", "upgrade"], env=env, check=True, capture_output=True)
    engine = make_engine(env["GIAOBAN_DATABASE_URL"])
    try:
        with session_scope(session_factory(engine, write=True)) as session:
            config = load_config()
            ensure_people(session, config, ensure_units(session, config), env["GIAOBAN_DEMO_PASSWORD"])
    finally:
        engine.dispose()


def run_resilience(districts: int, cut_seconds: float, workers: int) -> dict[str, Any]:
    settings = get_settings()
    members = fleet_members(districts, UnitSet.districts)
    run_dir = settings.var_dir / "bench" / f"resilience-{int(time.time())}"
    (run_dir / "log").mkdir(parents=True, exist_ok=True)
    log.info("preparing clips for %d endpoints (cached in %s)", len(members), settings.var_dir)
    prepare_clips(members, settings.var_dir)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIAOBAN_")} | {
        "GIAOBAN_VAR_DIR": str(run_dir), "GIAOBAN_DATABASE_URL": f"sqlite:///{run_dir / 'giaoban.db'}",
        "GIAOBAN_SECRET_KEY": secrets.token_urlsafe(32), "GIAOBAN_PORT": str(port),
        "GIAOBAN_MEDIA_WORKERS": str(workers), "GIAOBAN_START_DEMO_CAMERAS": "false",
        "GIAOBAN_START_DEMO_FLEET": "false", "GIAOBAN_DEMO_PASSWORD": demo_password()}
    seed(env, run_dir)

    netns: NetworkNamespace | None = None
    netns_problem = ""
    try:
        netns = NetworkNamespace().create()
    except NetnsUnavailable as exc:
        netns, netns_problem = None, str(exc)
        log.warning("no network namespace (%s): the network cut is skipped", exc)
    server = Server(env, "0.0.0.0" if netns else "127.0.0.1", port, run_dir / "log")
    fleet: Fleet | None = None
    victim: subprocess.Popen[bytes] | None = None
    result: dict[str, Any] = {"districts": districts, "media_workers": workers, "run_dir": str(run_dir)}
    try:
        server.start()
        observer = Observer(server.url)
        meeting = observer.post("thuky", "/api/meetings", {
            "title": "Giao ban trực tuyến - kiểm thử khả năng tự phục hồi", "scheduled_at": datetime.now().isoformat(),
            "chair": "chutoa", "secretary": "thuky", "invited": [m.endpoint_id for m in members]})
        meeting_id = meeting["id"]
        observer.post("thuky", f"/api/meetings/{meeting_id}/start")
        in_fleet = members[:-1] if netns else members
        fleet = Fleet(server.url, len(in_fleet), 3, settings.var_dir, log_dir=run_dir / "log", members=in_fleet,
                      unit_set=UnitSet.districts)
        fleet.env = env
        fleet.start()
        if netns:
            victim_id = members[-1].endpoint_id
            with open(run_dir / "log" / f"{victim_id}.log", "ab") as out:
                victim = subprocess.Popen(netns.argv([
                    sys.executable, "-m", "endpoints.cli", "run", "--server",
                    f"http://{netns.host_ip}:{port}", "--endpoint-id", victim_id, "--play", "count",
                    "--name", members[-1].name]),
                    env=env | {"GIAOBAN_ENDPOINT_PASSWORD": demo_password(), "GIAOBAN_VAR_DIR": str(settings.var_dir)},
                    stdout=out, stderr=subprocess.STDOUT)
        everyone = {m.endpoint_id for m in members}
        started = time.time()
        joined = wait_back(observer, meeting_id, everyone, since=0, timeout=240)
        result["initial_join_s"] = round(max(joined.values(), default=started) - started, 1)
        result["initially_joined"] = len(joined)
        if len(joined) < len(everyone):
            absent = sorted(everyone - set(joined))
            result["problem"] = f"only {len(joined)} of {len(everyone)} joined at the start: {absent}"
        time.sleep(8)  # media settles; health reports reach the registry

        # 1. One media worker killed; the service restarts it.
        pids = server.worker_pids()
        killed = 0
        fault_at = time.time()
        if pids:
            os.kill(pids[killed], signal.SIGKILL)
        worker_back = wait_worker(socket_dir(run_dir, "media") / f"worker-{killed}.sock", fault_at)
        time.sleep(2)
        # Those placed on the worker lose their session, and so may others (the room's state may
        # live on that worker): whoever's attendance closed after the kill counts too.
        affected = {m.endpoint_id for m in members if zlib.crc32(m.endpoint_id.encode()) % workers == killed}
        affected |= closed_since(observer.intervals(meeting_id), fault_at) & everyone
        result["worker_restart"] = fault_summary(
            "media worker killed", observer, meeting_id, affected, fault_at, worker_back or fault_at,
            "the restarted worker listening again" if worker_back else "the kill (worker not seen back)")
        result["worker_restart"]["worker_back_s"] = round(worker_back - fault_at, 2) if worker_back else None
        result["rejoined_after_worker_restart"] = result["worker_restart"]["rejoined"] == len(affected) > 0
        wait_back(observer, meeting_id, everyone, since=0, timeout=30)
        time.sleep(5)

        # 2. The whole server restarted.
        fault_at = time.time()
        clean = server.stop(signal.SIGTERM)
        down_at = time.time()
        up_at = server.start()
        result["server_restart"] = fault_summary(
            "server restarted", observer, meeting_id, everyone, fault_at, up_at,
            "the server answering /api/health again after the restart")
        result["server_restart"].update({
            "stop_s": round(down_at - fault_at, 2), "start_s": round(up_at - down_at, 2),
            "stopped": "SIGTERM, exited by itself" if clean else "SIGTERM, then SIGKILL after 20 s"})
        result["rejoined_after_server_restart"] = result["server_restart"]["rejoined"] == len(everyone)
        time.sleep(5)

        # 3. One endpoint's network cut.
        if netns and victim is not None:
            victim_id = members[-1].endpoint_id
            fault_at = time.time()
            netns.cut()
            time.sleep(cut_seconds)
            netns.restore()
            restored_at = time.time()
            result["network_cut"] = fault_summary(
                f"network of {victim_id} cut for {cut_seconds:.0f} s", observer, meeting_id, {victim_id}, fault_at,
                restored_at, "the network restored")
            result["rejoined_after_network_cut"] = result["network_cut"]["rejoined"] == 1
        else:
            result["network_cut"] = {"skipped": netns_problem}
        judge_gaps(observer, meeting_id, result["worker_restart"], affected)
        judge_gaps(observer, meeting_id, result["server_restart"], everyone)
        if "fault" in result["network_cut"]:
            judge_gaps(observer, meeting_id, result["network_cut"], {members[-1].endpoint_id})
        time.sleep(6)  # a health report from everyone since the last fault
        registry = observer.registry()
        mine = [r for pid, r in registry.items() if pid in everyone]
        # Attendance says who joined; the agents' own reports say media flows (status in_meeting is set
        # only once the media connection is up; the bitrate is what they send).
        result["in_meeting_at_end"] = sum(1 for r in mine if r["status"] == "in_meeting")
        result["sending_at_end"] = sum(1 for r in mine if (r["bitrate_out_kbps"] or 0) > 300)
        result["agents_reported_rejoins"] = {pid: {"rejoins": r["rejoins"], "last_rejoin_s": r["last_rejoin_s"]}
                                             for pid, r in registry.items() if pid in everyone}
        faults = [result.get(k, {}) for k in ("worker_restart", "server_restart", "network_cut")]
        times = [f["max_rejoin_s"] for f in faults if f.get("max_rejoin_s") is not None]
        result["max_rejoin_s"] = max(times) if times else None
        outages = [f["max_outage_s"] for f in faults if f.get("max_outage_s") is not None]
        result["max_outage_s"] = max(outages) if outages else None
        result["meeting_record_gaps_ok"] = all(f.get("record_gaps_ok") for f in faults if "fault" in f)
        result["targets_met"] = bool(result.get("rejoined_after_worker_restart")
                                     and result.get("rejoined_after_server_restart")
                                     and result.get("rejoined_after_network_cut", netns is None)
                                     and result["max_rejoin_s"] is not None and result["max_rejoin_s"] <= 10
                                     and result["meeting_record_gaps_ok"])
    finally:
        if fleet is not None:
            fleet.stop()
        if victim is not None and victim.poll() is None:
            victim.terminate()
            try:
                victim.wait(10)
            except subprocess.TimeoutExpired:
                victim.kill()
        server.stop(signal.SIGTERM)
        if netns is not None:
            netns.delete()
    return result
