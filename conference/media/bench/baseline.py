"""The comparison point: aiortc's default way to relay, decoding every received track and
encoding it again for each subscriber (`MediaRelay` + `RTCPeerConnection.addTrack`).

Runs in its own process so that its CPU time can be measured alone; speaks a one-line JSON
protocol on a Unix socket for the offer/answer and for its counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import resource
from pathlib import Path

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaRelay

from .. import aiortc_hooks
from ..worker import restrict_ice_addresses, set_priority


async def _serve(path: str) -> None:
    aiortc_hooks.install()
    relay = MediaRelay()
    published: dict[str, list] = {}
    pcs: list[RTCPeerConnection] = []

    async def offer(args: dict) -> dict:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        pcs.append(pc)
        pid = args["participant"]

        @pc.on("track")
        def on_track(track) -> None:
            published.setdefault(pid, []).append(track)

        await pc.setRemoteDescription(RTCSessionDescription(sdp=args["sdp"], type="offer"))
        if args["role"] == "subscriber":
            for source, tracks in published.items():
                if source != pid:
                    for track in tracks:
                        pc.addTrack(relay.subscribe(track))
        await pc.setLocalDescription(await pc.createAnswer())
        return {"sdp": pc.localDescription.sdp}

    async def stats(_: dict) -> dict:
        sent = 0
        for pc in pcs:
            for sender in pc.getSenders():
                if sender.track is None:
                    continue
                for s in (await sender.getStats()).values():
                    if s.type == "outbound-rtp":
                        sent += s.packetsSent
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"cpu_seconds": usage.ru_utime + usage.ru_stime, "cpu_system_seconds": usage.ru_stime,
                "sent_packets": sent, "pid": os.getpid(),
                **aiortc_hooks.codec_counts()}

    handlers = {"offer": offer, "stats": stats}

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            request = json.loads(line)
            result = await handlers[request["op"]](request.get("args", {}))
            writer.write((json.dumps(result) + "\n").encode())

    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = await asyncio.start_unix_server(client, path=path, limit=1 << 22)
    async with server:
        await server.serve_forever()


def run_baseline_server(path: str, nice: int = 0) -> None:
    set_priority(nice)
    restrict_ice_addresses(["127.0.0.1"])
    asyncio.run(_serve(path))


class BaselineClient:
    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._lock = asyncio.Lock()

    async def connect(self, timeout: float = 20.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            try:
                self._reader, self._writer = await asyncio.open_unix_connection(self.path, limit=1 << 22)
                return
            except (FileNotFoundError, ConnectionRefusedError):
                if loop.time() > deadline:
                    raise
                await asyncio.sleep(0.1)

    async def call(self, op: str, args: dict) -> dict:
        async with self._lock:
            self._writer.write((json.dumps({"op": op, "args": args}) + "\n").encode())
            return json.loads(await self._reader.readline())

    async def negotiate(self, participant: str, role: str, sdp: str) -> str:
        return (await self.call("offer", {"participant": participant, "role": role, "sdp": sdp}))["sdp"]

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
