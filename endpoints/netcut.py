"""Cutting one endpoint's network for the resilience bench: the endpoint runs in its own network
namespace, joined to the host by a veth pair; taking the host end down cuts TCP (signaling) and UDP
(media) at once, the way a district's line failing would. Needs CAP_NET_ADMIN (root)."""

from __future__ import annotations

import os
import shutil
import subprocess


class NetnsUnavailable(Exception):
    pass


def _ip(*args: str, netns: str | None = None) -> None:
    argv = ["ip", *args] if netns is None else ["ip", "netns", "exec", netns, "ip", *args]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    if done.returncode != 0:
        raise NetnsUnavailable(f"{' '.join(argv)}: {done.stderr.strip() or done.returncode}")


class NetworkNamespace:
    """`gbr<pid>`: host side `<host_ip>/30`, namespace side `<ns_ip>/30`, default route via the host."""

    def __init__(self, subnet: str = "10.231.7") -> None:
        tag = f"gbr{os.getpid() % 100000}"
        self.name = tag
        self.host_if, self.ns_if = f"{tag}h", f"{tag}e"
        self.host_ip, self.ns_ip = f"{subnet}.1", f"{subnet}.2"
        self.created = False

    def create(self) -> NetworkNamespace:
        if shutil.which("ip") is None:
            raise NetnsUnavailable("the `ip` command (iproute2) is not installed")
        if os.geteuid() != 0:
            raise NetnsUnavailable("network namespaces need root (CAP_NET_ADMIN)")
        _ip("netns", "add", self.name)
        self.created = True
        _ip("link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
        _ip("link", "set", self.ns_if, "netns", self.name)
        _ip("addr", "add", f"{self.host_ip}/30", "dev", self.host_if)
        _ip("link", "set", self.host_if, "up")
        _ip("addr", "add", f"{self.ns_ip}/30", "dev", self.ns_if, netns=self.name)
        _ip("link", "set", self.ns_if, "up", netns=self.name)
        _ip("link", "set", "lo", "up", netns=self.name)
        _ip("route", "add", "default", "via", self.host_ip, netns=self.name)
        return self

    def argv(self, command: list[str]) -> list[str]:
        return ["ip", "netns", "exec", self.name, *command]

    def cut(self) -> None:
        _ip("link", "set", self.host_if, "down")

    def restore(self) -> None:
        _ip("link", "set", self.host_if, "up")

    def delete(self) -> None:
        if not self.created:
            return
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)
        self.created = False
