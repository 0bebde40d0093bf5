"""The camera benchmark across ingest nodes: many RTSP H.264 feeds, several ingest processes sharing them
through Redis leases, CPU per feed, and the takeover time after one ingest process is killed.

The feeds are GStreamer's RTSP server (Debian's, driven through ``ops_center/rtsp_test_server.py``)
playing a synthetic street clip, encoded once (640x360 H.264, 10 fps, a keyframe a second, walkers
at known times): the server only reads and packetises, so the machine's CPU goes to the ingest.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import tempfile
import time
import uuid
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import psutil

from ops_center.scene import make_schedule

REDIS = "redis://127.0.0.1:6379/0"
SERVER = Path(__file__).with_name("rtsp_test_server.py")
CLIP_SECONDS = 240


def street_clip(dest: Path, size: tuple[int, int] = (640, 360), fps: int = 10) -> Path:
    """A synthetic street as a camera's substream (H.264 MP4), rendered once and kept."""
    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    scene = make_schedule(42, CLIP_SECONDS)
    tmp = dest.with_suffix(".part.mp4")
    with av.open(str(tmp), "w") as out:
        stream = out.add_stream("libx264", rate=Fraction(fps))
        stream.width, stream.height, stream.pix_fmt = size[0], size[1], "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "26", "x264-params": f"keyint={fps}:min-keyint={fps}"}
        for i in range(CLIP_SECONDS * fps):
            img = scene.render(i / fps, size[0], size[1])
            out.mux(stream.encode(av.VideoFrame.from_ndarray(img, format="bgr24")))
        out.mux(stream.encode(None))
    tmp.replace(dest)
    return dest


def _node(name: str, feeds: list[tuple[str, str]], namespace: str, ttl_s: float, events: mp.Queue,
          stop: Any, analysis_fps: float, people_fps: float, media: str) -> None:
    """One ingest process: ownership rounds and the workers for the cameras it holds."""
    import cv2

    from core.leases import RedisLeases
    from ops_center.ingest import IngestSupervisor
    from ops_center.ownership import CameraOwnership
    from ops_center.worker import CameraConfig

    cv2.setNumThreads(1)
    configs = [CameraConfig(id=cid, name=cid, url=url, analysis_fps=analysis_fps, people_fps=people_fps)
               for cid, url in feeds]

    def emit(kind: str, payload: dict) -> None:
        if kind in ("camera.online", "camera.offline"):
            events.put((kind, {**payload, "node": name}))
        elif kind == "camera.health":
            events.put((kind, {"camera_id": payload["camera_id"], "node": name, "state": payload["state"],
                               "analysis_fps": payload["analysis_fps"]}))

    supervisor = IngestSupervisor(emit, Path(media) / name, clips=False).start()

    async def run() -> None:
        ownership = CameraOwnership(RedisLeases(REDIS, namespace), name, ttl_s=ttl_s)
        events.put(("ready", {"node": name, "pid": os.getpid()}))
        while not stop.is_set():
            held = await ownership.balance(c.id for c in configs)
            await asyncio.to_thread(supervisor.apply, [c for c in configs if c.id in held])
            await asyncio.sleep(ownership.round_s)
        await ownership.release_all()

    asyncio.run(run())
    supervisor.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_nodes_bench(feeds: int = 100, nodes: int = 2, seconds: int = 30, ttl_s: float = 4.0,
                    analysis_fps: float = 5.0, people_fps: float = 2.0, clip_dir: Path = Path("var/bench")) -> dict:
    if feeds < 1 or nodes < 2 or seconds < 10:
        raise ValueError("need at least 1 feed, 2 nodes and 10 seconds")
    if not Path("/usr/bin/python3").exists():
        raise RuntimeError("needs Debian's python3 with python3-gi and gir1.2-gst-rtsp-server-1.0")
    clip = street_clip(clip_dir / "street-640x360.mp4")
    port = _free_port()
    args = ["/usr/bin/python3", str(SERVER), "--port", str(port)]
    for i in range(feeds):
        args += ["--mount", f"cam{i}=file:{clip.resolve()}"]
    server = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    if not server.stdout.readline().startswith("ready"):
        raise RuntimeError("the RTSP server did not start: install python3-gi and gir1.2-gst-rtsp-server-1.0")
    namespace = f"bench-{uuid.uuid4().hex[:8]}:"
    urls = [(f"cam{i}", f"rtsp://127.0.0.1:{port}/cam{i}") for i in range(feeds)]
    ctx = mp.get_context("spawn")
    events: mp.Queue = ctx.Queue()
    stop = ctx.Event()
    names = [f"ingest-{chr(97 + i)}" for i in range(nodes)]
    # The nodes' latest pictures, removed at the end by this process (the killed node cannot).
    media = tempfile.mkdtemp(prefix="giaoban-bench-nodes-")
    procs = {n: ctx.Process(target=_node, args=(n, urls, namespace, ttl_s, events, stop, analysis_fps,
                                                people_fps, media), daemon=True) for n in names}
    for p in procs.values():
        p.start()
    pids: dict[str, int] = {}
    owner: dict[str, str] = {}
    online_at: dict[str, float] = {}
    rate: dict[str, float] = {}  # the last analysis rate each camera's owner reported
    moves = 0
    log: list[tuple[float, str, dict]] = []

    def drain(until: float) -> None:
        nonlocal moves
        while time.time() < until:
            try:
                kind, payload = events.get(timeout=0.2)
            except queue.Empty:
                continue
            log.append((time.time(), kind, payload))
            if kind == "ready":
                pids[payload["node"]] = payload["pid"]
            elif kind == "camera.online":
                moves += owner.get(payload["camera_id"], payload["node"]) != payload["node"]
                owner[payload["camera_id"]] = payload["node"]
                online_at[payload["camera_id"]] = time.time()
            elif kind == "camera.health" and owner.get(payload["camera_id"]) == payload["node"]:
                rate[payload["camera_id"]] = payload["analysis_fps"]
            elif kind == "camera.offline" and owner.get(payload["camera_id"]) == payload["node"]:
                owner.pop(payload["camera_id"], None)

    try:
        deadline = time.time() + 60 + feeds * 0.5
        while time.time() < deadline and not (len(owner) == feeds and len(set(owner.values())) == nodes):
            drain(time.time() + 1)
        connected = len(owner)
        drain(time.time() + 3)  # settle: the leases have stopped moving
        measured = {n: psutil.Process(pids[n]) for n in names if n in pids}
        server_proc = psutil.Process(server.pid)
        cpu0 = {n: sum(p.cpu_times()[:2]) for n, p in measured.items()}
        srv0, wall0 = sum(server_proc.cpu_times()[:2]), time.time()
        moves = 0
        drain(time.time() + seconds)
        moves_measured = moves
        rates = [rate[c] for c in owner if c in rate]
        cpu1 = {n: sum(p.cpu_times()[:2]) for n, p in measured.items()}
        srv1, wall1 = sum(server_proc.cpu_times()[:2]), time.time()
        per_node = {n: round(100 * (cpu1[n] - cpu0[n]) / (wall1 - wall0), 1) for n in measured}
        victim = names[0]
        victims = sorted(c for c, n in owner.items() if n == victim)
        killed_at = time.time()
        os.kill(pids[victim], signal.SIGKILL)
        drain_until = killed_at + max(20.0, 3 * ttl_s)
        takeover: dict[str, float] = {}
        while time.time() < drain_until and len(takeover) < len(victims):
            drain(min(drain_until, time.time() + 0.5))
            for cid in victims:
                if cid not in takeover and owner.get(cid, victim) != victim and online_at.get(cid, 0) > killed_at:
                    takeover[cid] = round(online_at[cid] - killed_at, 2)
    finally:
        stop.set()
        for p in procs.values():
            p.join(15)
            if p.is_alive():
                p.kill()
        server.terminate()
        server.wait(10)
        shutil.rmtree(media, ignore_errors=True)
    takeovers = list(takeover.values())
    total_cpu = sum(per_node.values())
    return {
        "feeds": feeds,
        "feeds_connected": connected,
        "nodes": nodes,
        "seconds": seconds,
        "feed": "RTSP H.264 640x360 at 10 fps, keyframe every 1 s (GStreamer RTSP server, synthetic street)",
        "analysis_fps_configured": analysis_fps,
        "people_fps_configured": people_fps,
        "lease_ttl_s": ttl_s,
        "cpu_pct_per_node": per_node,
        "cpu_pct_per_feed": round(total_cpu / max(connected, 1), 2),
        "analysis_fps_per_feed_mean": round(statistics.mean(rates), 2) if rates else None,
        "analysis_fps_per_feed_min": min(rates) if rates else None,
        "owner_changes_while_measuring": moves_measured,
        "cpu_pct_rtsp_server_total": round(100 * (srv1 - srv0) / (wall1 - wall0), 1),
        "killed_node": victim,
        "cameras_on_killed_node": len(victims),
        "cameras_taken_over": len(takeovers),
        "takeover_s_max": max(takeovers) if takeovers else None,
        "takeover_s_mean": round(statistics.mean(takeovers), 2) if takeovers else None,
        "takeover_method": "SIGKILL of one ingest process; time until another process reported the camera "
                           "online again (first decoded picture), from the kill",
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }
