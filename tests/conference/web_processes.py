"""Real web processes for the tests of several web processes: `giaoban serve` started as a child
process on the test's database and a shared live state, killed with SIGKILL when a test says so;
and a signaling client that speaks protocol v1 over a real WebSocket."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from core.settings import Settings
from tests.conftest import DEMO_PASSWORD


def web_env(settings: Settings, live_state_url: str, namespace: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({"GIAOBAN_DATABASE_URL": settings.database_url, "GIAOBAN_VAR_DIR": str(settings.var_dir),
                "GIAOBAN_SECRET_KEY": settings.secret_key, "GIAOBAN_UNIT_SET": settings.unit_set,
                "GIAOBAN_START_DEMO_CAMERAS": "false", "GIAOBAN_LIVE_STATE_URL": live_state_url,
                "GIAOBAN_LEASES_NAMESPACE": namespace, **extra})
    return env


class WebProcess:
    def __init__(self, env: dict[str, str], port: int, log: Path, *, reuse_port: bool = False) -> None:
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.log = log
        argv = [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(port)]
        with open(log, "ab") as out:
            self.proc = subprocess.Popen(argv + (["--reuse-port"] if reuse_port else []), env=env, stdout=out,
                                         stderr=subprocess.STDOUT)

    def wait_ready(self, seconds: float = 150) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"web process exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.base}/api/health", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise AssertionError(f"web process on {self.port} not ready: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to its sockets, as a crash or an OOM kill."""
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def token(base: str, username: str) -> str:
    response = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                          timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


class Client:
    """One participant's signaling socket on one web process."""

    def __init__(self, base: str, meeting_id: int, bearer: str) -> None:
        self.meeting_id = meeting_id
        self.bearer = bearer
        self.seen: list[dict[str, Any]] = []
        self.ws: ClientConnection = connect(f"{base.replace('http://', 'ws://')}/ws/meetings/{meeting_id}",
                                            additional_headers={"Authorization": f"Bearer {bearer}"},
                                            open_timeout=20)

    def send(self, **message: Any) -> None:
        self.ws.send(json.dumps({"v": 1, **message}))

    def until(self, kind: str, seconds: float = 20, **fields: Any) -> dict[str, Any]:
        """The next message of type `kind` (with those field values), reading past others."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"no {kind} {fields} within {seconds} s; saw {[m['type'] for m in self.seen]}")
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                continue
            self.seen.append(message)
            if message["type"] == kind and all(message.get(k) == v for k, v in fields.items()):
                return message

    def quiet_for(self, kind: str, seconds: float) -> list[dict[str, Any]]:
        """The messages of type `kind` that arrive within `seconds`."""
        got = []
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except (TimeoutError, ConnectionClosed):
                break
            self.seen.append(message)
            if message["type"] == kind:
                got.append(message)
        return got

    def join(self, role: str) -> dict[str, Any]:
        self.send(type="join", meeting=self.meeting_id, role=role, ref="join")
        while True:
            reply = self.until_any({"welcome", "error"})
            if reply["type"] == "welcome" or reply.get("ref") == "join":
                assert reply["type"] == "welcome", reply
                return reply

    def until_any(self, kinds: set[str], seconds: float = 20) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            message = json.loads(self.ws.recv(timeout=left))
            self.seen.append(message)
            if message["type"] in kinds:
                return message
        raise AssertionError(f"none of {kinds} within {seconds} s")

    def close(self) -> None:
        self.ws.close()


def rejoin(base: str, meeting_id: int, bearer: str, role: str, seconds: float = 15) -> tuple[Client, dict[str, Any]]:
    """Come back as a client does after its web process died: connect (to a survivor) and join,
    again while the seat is still held for the dead process's socket (up to its key's expiry)."""
    deadline = time.monotonic() + seconds
    while True:
        client = Client(base, meeting_id, bearer)
        client.send(type="join", meeting=meeting_id, role=role, ref="join")
        reply = client.until_any({"welcome", "error"})
        if reply["type"] == "welcome":
            return client, reply
        client.close()
        assert reply["type"] == "error" and reply["code"] == "duplicate_identity", reply
        if time.monotonic() > deadline:
            raise AssertionError(f"could not rejoin within {seconds} s: {reply}")
        time.sleep(0.5)
