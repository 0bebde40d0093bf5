"""Hosts on one machine, for the multi-host tests and the two-node bench: Linux network namespaces
on one bridge, each with its own address (`ip netns`, veth), and the calling process in the root
namespace on the same bridge. A network cut between two hosts is a pair of blackhole routes. Redis
(which listens on the root namespace's loopback only) is reached from the hosts through a small
TCP forwarder on the bridge address. Needs root (CAP_NET_ADMIN); `netns_refusal` says why not."""

from __future__ import annotations

import contextlib
import random
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field


def netns_refusal() -> str | None:
    """Why namespaces cannot be made here, or None."""
    if shutil.which("ip") is None:
        return "the `ip` command (iproute2) is not installed"
    name = f"gbprobe{uuid.uuid4().hex[:6]}"
    done = subprocess.run(["ip", "netns", "add", name], capture_output=True, text=True)
    if done.returncode != 0:
        return f"`ip netns add` is not permitted here: {done.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    return None


def _ip(*args: str, ns: str | None = None) -> None:
    cmd = ["ip", "netns", "exec", ns, "ip", *args] if ns else ["ip", *args]
    subprocess.run(cmd, check=True, capture_output=True, text=True)


@dataclass
class Host:
    name: str
    namespace: str
    address: str

    def command(self, argv: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, *argv]


@dataclass
class Hosts:
    tag: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    prefix: str = field(default_factory=lambda: f"10.{random.randint(64, 250)}.{random.randint(0, 255)}")
    hosts: dict[str, Host] = field(default_factory=dict)
    _forwarder: subprocess.Popen | None = None

    @property
    def bridge(self) -> str:
        return f"gbbr{self.tag}"

    @property
    def gateway(self) -> str:
        """The root namespace's address on the bridge (the test process's, as a host)."""
        return f"{self.prefix}.1"

    def open(self) -> None:
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")

    def add(self, name: str) -> Host:
        index = len(self.hosts) + 2
        namespace = f"gb{self.tag}{name}"
        outside, inside = f"gbv{self.tag}{index}", f"gbp{self.tag}{index}"
        _ip("netns", "add", namespace)
        _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
        _ip("link", "set", inside, "netns", namespace)
        _ip("link", "set", outside, "master", self.bridge)
        _ip("link", "set", outside, "up")
        _ip("addr", "add", f"{self.prefix}.{index}/24", "dev", inside, ns=namespace)
        _ip("link", "set", inside, "up", ns=namespace)
        _ip("link", "set", "lo", "up", ns=namespace)
        host = self.hosts[name] = Host(name, namespace, f"{self.prefix}.{index}")
        return host

    def cut(self, a: str, b: str) -> None:
        """No packet between these two hosts any more (each still reaches everyone else)."""
        _ip("route", "add", "blackhole", f"{self.hosts[b].address}/32", ns=self.hosts[a].namespace)
        _ip("route", "add", "blackhole", f"{self.hosts[a].address}/32", ns=self.hosts[b].namespace)

    def forward_redis(self, target: tuple[str, int] = ("127.0.0.1", 6379)) -> str:
        """A redis:// URL the hosts can use: a forwarder process (not a thread of the busy test
        process) on the bridge address to the local Redis."""
        with socket.create_server((self.gateway, 0)) as probe:
            port = probe.getsockname()[1]
        self._forwarder = subprocess.Popen([sys.executable, __file__, self.gateway, str(port), *map(str, target)])
        for _ in range(100):
            with contextlib.suppress(OSError), socket.create_connection((self.gateway, port), 0.2):
                break
            time.sleep(0.1)
        return f"redis://{self.gateway}:{port}/0"

    def close(self) -> None:
        if self._forwarder is not None:
            self._forwarder.kill()
            self._forwarder.wait(5)
        for host in self.hosts.values():
            subprocess.run(["ip", "netns", "del", host.namespace], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def _accept(server: socket.socket, target: tuple[str, int]) -> None:
    while True:
        try:
            client, _ = server.accept()
        except OSError:
            return
        try:
            upstream = socket.create_connection(target)
        except OSError:
            client.close()
            continue
        for a, b in ((client, upstream), (upstream, client)):
            threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    for s in (source, sink):
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_RDWR)


def pids_in(namespace: str) -> list[int]:
    done = subprocess.run(["ip", "netns", "pids", namespace], capture_output=True, text=True)
    return [int(p) for p in done.stdout.split()]


if __name__ == "__main__":  # the forwarder: listen address, port, target address, port
    listener = socket.create_server((sys.argv[1], int(sys.argv[2])))
    _accept(listener, (sys.argv[3], int(sys.argv[4])))
