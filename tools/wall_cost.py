"""What a camera on the WebRTC wall costs: CPU of the ingest process per watched camera (RTSP demux,
access units, aiortc's packetization and SRTP; nothing decoded) and of the media workers receiving it.

    .venv/bin/python tools/wall_cost.py --cameras 4 --seconds 15 [--json var/bench/wall_cost.json]

Serves `--cameras` copies of a 1280x720 25 fps ~2 Mbit/s H.264 clip (rendered once into var/bench/)
with GStreamer's RTSP server (`ops_center/rtsp_test_server.py`, Debian's python3), publishes each
camera in the wall room of two media workers started here, measures the idle sessions, then reads
every main stream (as when a wall shows all of them) and measures again. Nobody subscribes, so the
media workers' figure is the receiving side only (forwarding costs per tile are the SFU's own bench).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _clip(dest: Path) -> Path:
    import av
    import numpy as np

    if dest.is_file():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(dest), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        stream.options = {"preset": "veryfast",
                          "x264-params": "keyint=50:min-keyint=50:bitrate=2000:vbv-maxrate=2000:vbv-bufsize=2000"}
        base = np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        for i in range(25 * 40):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(np.roll(base, i * 4, axis=1), format="bgr24")))
        out.mux(stream.encode(None))
    return dest


async def _measure(cameras: int, seconds: float, port: int, run_dir: Path) -> dict:
    import psutil

    from conference.media.client import MediaClient
    from conference.media.service import WorkerPool
    from ops_center.main_stream import MainStreamReader
    from ops_center.wall_publisher import CameraPublisher

    pool = WorkerPool(run_dir, 2)
    pool.start()
    media = MediaClient(run_dir, 2)
    publishers: list[CameraPublisher] = []
    readers: list[MainStreamReader] = []
    try:
        await media.connect()
        for i in range(cameras):
            publisher = CameraPublisher(str(i), media)
            await publisher.connect()
            publishers.append(publisher)
        await asyncio.sleep(3)
        me = psutil.Process()
        workers = [psutil.Process(pid) for pid in pool.pids()]

        def cpu() -> tuple[float, float]:
            own = me.cpu_times()
            return own.user + own.system, sum(w.cpu_times().user + w.cpu_times().system for w in workers)

        async def window(length: float) -> tuple[float, float, float]:
            (i0, w0), t0 = cpu(), time.monotonic()
            await asyncio.sleep(length)
            (i1, w1), t1 = cpu(), time.monotonic()
            return (i1 - i0) / (t1 - t0) * 100, (w1 - w0) / (t1 - t0) * 100, t1 - t0

        idle, _, _ = await window(5)
        for i, publisher in enumerate(publishers):
            readers.append(MainStreamReader(str(i), f"rtsp://127.0.0.1:{port}/c{i}", publisher.push).start())
        await asyncio.sleep(4)
        units = sum(p.units for p in publishers)
        ingest, relay, length = await window(seconds)
        units = sum(p.units for p in publishers) - units
        received = sum(s.received_packets for s in await media.worker_stats())
    finally:
        for reader in readers:
            await asyncio.to_thread(reader.stop)
        for publisher in publishers:
            await publisher.close()
        await media.close()
        pool.stop()
    return {
        "cameras": cameras,
        "stream": "1280x720, 25 fps, ~2 Mbit/s H.264, GOP 2 s (GStreamer RTSP server, RTSP/TCP)",
        "ingest_cpu_pct_idle_session_per_camera": round(idle / cameras, 3),
        "ingest_cpu_pct_per_watched_camera": round((ingest - idle) / cameras, 2),
        "media_workers_cpu_pct_per_camera_received": round(relay / cameras, 2),
        "access_units_per_s_per_camera": round(units / length / cameras, 1),
        "packets_received_by_media_workers": received,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cameras", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--json", type=Path, default=ROOT / "var" / "bench" / "wall_cost.json")
    args = parser.parse_args()
    clip = _clip(ROOT / "var" / "bench" / "wall_main_720p.mp4")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = ["/usr/bin/python3", str(ROOT / "ops_center" / "rtsp_test_server.py"), "--port", str(port)]
    for i in range(args.cameras):
        command += ["--mount", f"c{i}=file:{clip}"]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None and server.stdout.readline().startswith("ready")
        with tempfile.TemporaryDirectory() as tmp:
            figures = asyncio.run(_measure(args.cameras, args.seconds, port, Path(tmp) / "media"))
    finally:
        server.terminate()
        server.wait(5)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(figures, indent=2) + "\n")
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
