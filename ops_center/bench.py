"""The camera benchmark: synthetic feeds with known motion and outages, measured end to end.

Three processes, so that each one's CPU is its own: the synthetic cameras, the
ingest workers (the figure that matters), and this one, which collects events,
watches one main stream like a wall tile, and scores the result.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import queue
import shutil
import socket
import statistics
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import psutil

from ops_center.latest_picture import FOLDER as LATEST_FOLDER
from ops_center.mjpeg_server import MAIN_SIZE, SUB_SIZE, Feed, SyntheticCameraServer
from ops_center.scene import Scene, make_schedule, read_stamp
from ops_center.synthetic import BANNER_MASK

OUTAGE_S = 8.0
START_DELAY_S = 2.0  # scene time 0 is this long after every reader is connected


def bench_scenes(feeds: int, seconds: float) -> list[Scene]:
    """Each feed gets its own crossings and one outage in the second half, staggered."""
    step = min(2.0, seconds * 0.2 / max(feeds, 1))
    scenes = []
    for i in range(feeds):
        at = seconds * 0.45 + i * step
        outage = at if at + OUTAGE_S < seconds - 3 else None
        scenes.append(make_schedule(100 + i, seconds, outage_at=outage, outage_len=OUTAGE_S))
    return scenes


def _serve(feeds: int, seconds: float, port: int, epoch: Any) -> None:
    """The synthetic cameras. Scene time starts when the parent sets ``epoch`` (shared), so
    that every reader is connected before the first crossing; until then the street is empty."""
    import asyncio

    scenes = bench_scenes(feeds, seconds)
    server = SyntheticCameraServer([Feed(f"cam{i}", s) for i, s in enumerate(scenes)], port=port,
                                   epoch=time.time() + 10**6)

    async def main() -> None:
        await server.start_async()
        while not epoch.value:
            await asyncio.sleep(0.05)
        server.epoch = epoch.value
        await asyncio.Event().wait()

    asyncio.run(main())


def _ingest(urls: list[tuple[str, str, str]], events: mp.Queue, stop: mp.Event, media: str,
            analysis_fps: float, people_fps: float) -> None:
    from ops_center.ingest import IngestSupervisor
    from ops_center.worker import CameraConfig

    cv2.setNumThreads(1)
    sup = IngestSupervisor(lambda k, p: events.put((k, p)), Path(media)).start()
    sup.apply([CameraConfig(id=cid, name=cid, url=main, substream_url=sub, masks=[BANNER_MASK],
                            analysis_fps=analysis_fps, people_fps=people_fps) for cid, main, sub in urls])
    events.put(("ready", {"pid": os.getpid()}))
    stop.wait()
    sup.stop()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _watch_main(url: str, until: float, out: list[float]) -> None:
    """A wall tile: read the main stream, decode each JPEG, read the render time stamped in it."""
    while time.time() < until:
        try:
            _read_stamps(url, until, out)
        except OSError:
            time.sleep(0.5)  # a busy machine can miss the first connection; keep watching


def _read_stamps(url: str, until: float, out: list[float]) -> None:
    buf = b""
    with urllib.request.urlopen(url, timeout=10) as resp:
        while time.time() < until:
            chunk = resp.read1(65536)
            if not chunk:
                return
            buf += chunk
            while True:
                start = buf.find(b"\xff\xd8")
                end = buf.find(b"\xff\xd9", start + 2)
                if start < 0 or end < 0:
                    break
                jpeg, buf = buf[start:end + 2], buf[end + 2:]
                img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                if img is not None:
                    lag = time.time() * 1000 - read_stamp(img)
                    if 0 <= lag < 10_000:
                        out.append(lag)


def match_events(truth: list[tuple[float, float]], found: list[tuple[float, float]],
                 slack: float = 1.0) -> int:
    """How many true intervals are paired one-to-one with an overlapping detection."""
    return len(truth) - len(unmatched(truth, found, slack))


def unmatched(truth: list[tuple[float, float]], found: list[tuple[float, float]],
              slack: float = 1.0) -> list[tuple[float, float]]:
    """The true intervals left without an overlapping detection after one-to-one pairing."""
    used: set[int] = set()
    left = []
    for gs, ge in truth:
        for i, (ds, de) in enumerate(found):
            if i not in used and ds <= ge + slack and de >= gs - slack:
                used.add(i)
                break
        else:
            left.append((gs, ge))
    return left


SUBSTREAMS = {"mjpeg": ("sub.mjpg", f"{SUB_SIZE[0]}x{SUB_SIZE[1]} MJPEG substream over HTTP"),
              "h264": ("sub.ts", f"{SUB_SIZE[0]}x{SUB_SIZE[1]} H.264 substream (MPEG-TS over HTTP)")}


def real_footage_section(analysis_fps: float, people_fps: float, clip_dir: Path = Path("var/bench")) -> dict:
    """People on real footage (see :mod:`ops_center.footage`): recall, count error, false events, CPU per feed."""
    from ops_center import footage

    try:
        clip = footage.substream(clip_dir / "vtest-640x480.mp4")
    except FileNotFoundError as exc:
        return {"skipped": str(exc)}
    cv2.setNumThreads(1)
    result = footage.run_footage(clip, analysis_fps=analysis_fps, people_fps=people_fps)
    result["false_events_still_scene_60s"] = footage.still_scene_events(clip, seconds=60, analysis_fps=analysis_fps)
    result["still_scene"] = "the clip's first frame held for 60 s with Gaussian sensor noise (sigma 3 grey levels)"
    return result


def run_bench(feeds: int = 8, seconds: int = 60, analysis_fps: float = 5.0,
              people_fps: float = 2.0, codec: str = "mjpeg", real_footage: bool = True) -> dict[str, object]:
    if feeds < 1 or seconds < 20:
        raise ValueError("need at least 1 feed and 20 seconds")
    if codec not in SUBSTREAMS:
        raise ValueError(f"codec must be one of {', '.join(SUBSTREAMS)}")
    sub_path, sub_label = SUBSTREAMS[codec]
    ctx = mp.get_context("spawn")
    port = _free_port()
    shared_epoch = ctx.Value("d", 0.0)
    server = ctx.Process(target=_serve, args=(feeds, seconds, port, shared_epoch), daemon=True)
    server.start()
    names = [f"cam{i}" for i in range(feeds)]
    urls = [(n, f"http://127.0.0.1:{port}/cam/{n}/main.mjpg", f"http://127.0.0.1:{port}/cam/{n}/{sub_path}")
            for n in names]
    events: mp.Queue = ctx.Queue()
    stop = ctx.Event()
    media = tempfile.mkdtemp(prefix="giaoban-bench-")
    ingest = ctx.Process(target=_ingest, args=(urls, events, stop, media, analysis_fps, people_fps), daemon=True)
    ingest.start()
    log: list[tuple[float, str, dict]] = []
    ingest_pid = None
    online: set[str] = set()
    deadline = time.time() + 120
    # Scene time 0 comes once every reader is connected: the measurement is of analysis, not start-up.
    while (ingest_pid is None or online != set(names)) and time.time() < deadline:
        try:
            kind, payload = events.get(timeout=1)
        except queue.Empty:
            continue
        if kind == "ready":
            ingest_pid = payload["pid"]
        elif kind == "camera.online":
            online.add(payload["camera_id"])
    if ingest_pid is None or online != set(names):
        stop.set()
        server.terminate()
        raise RuntimeError(f"feeds not connected after 120 s: {sorted(set(names) - online)}")
    epoch = time.time() + START_DELAY_S
    shared_epoch.value = epoch
    proc = psutil.Process(ingest_pid)
    srv_proc = psutil.Process(server.pid)
    # Measure from scene time 0 to the end: the steady state, not imports and connection set-up.
    time.sleep(max(0.0, epoch - time.time()))
    cpu0, srv0, wall0 = sum(proc.cpu_times()[:2]), sum(srv_proc.cpu_times()[:2]), time.time()
    lags: list[float] = []
    watcher = threading.Thread(target=_watch_main, args=(urls[0][1], epoch + seconds - 1, lags), daemon=True)
    watcher.start()
    end_at = epoch + seconds
    while time.time() < end_at + 0.5:
        try:
            kind, payload = events.get(timeout=0.5)
        except queue.Empty:
            continue
        log.append((time.time(), kind, payload))
    cpu1, srv1, wall1 = sum(proc.cpu_times()[:2]), sum(srv_proc.cpu_times()[:2]), time.time()
    stop.set()
    ingest.join(15)
    server.terminate()
    server.join(5)
    watcher.join(2)
    result = _score(bench_scenes(feeds, seconds), names, log, epoch, seconds,
                  cpu=(cpu1 - cpu0, srv1 - srv0, wall1 - wall0), lags=lags,
                  analysis_fps=analysis_fps, people_fps=people_fps, media=media, sub_label=sub_label)
    shutil.rmtree(media, ignore_errors=True)
    if real_footage:
        result["real_footage"] = real_footage_section(analysis_fps, people_fps)
    return result


def _score(scenes: list[Scene], names: list[str], log: list[tuple[float, str, dict]],
           epoch: float, seconds: float, *, cpu: tuple[float, float, float], lags: list[float],
           analysis_fps: float, people_fps: float, media: str, sub_label: str) -> dict[str, object]:
    feeds = len(names)
    truth_total = found_total = matched_truth = matched_found = 0
    offline_delays: list[float] = []
    recovery_delays: list[float] = []
    missed_offline = 0
    per_feed_fps: list[float] = []
    people_events = 0
    missed: list[dict[str, object]] = []
    for name, scene in zip(names, scenes, strict=True):
        truth = [(s, e) for s, e in scene.motion_intervals() if s < seconds]
        found: list[tuple[float, float]] = []
        for _, kind, p in log:
            if p.get("camera_id") != name:
                continue
            if kind == "motion.end" and p["start"] - epoch >= 0:
                found.append((p["start"] - epoch, p["end"] - epoch))
                people_events += p["peak_people"] > 0
        truth_total += len(truth)
        found_total += len(found)
        matched_truth += match_events(truth, found)
        missed += [{"feed": name, "start_s": round(s, 1), "end_s": round(e, 1),
                    "after_outage_s": next((round(s - o.end, 1) for o in scene.outages if s >= o.end), None)}
                   for s, e in unmatched(truth, found)]
        matched_found += match_events(found, truth)
        for outage in scene.outages:
            off = [p["at"] - epoch for _, k, p in log if k == "camera.offline" and p.get("camera_id") == name
                   and p["at"] - epoch >= outage.start]
            on = [p["at"] - epoch for _, k, p in log if k == "camera.online" and p.get("camera_id") == name
                  and p["at"] - epoch >= outage.end]
            if off:
                offline_delays.append(off[0] - outage.start)
            else:
                missed_offline += 1
            if on:
                recovery_delays.append(on[0] - outage.end)
        # Analysis rate over the measured window, from the periodic health reports, outages excluded.
        reports = [(p["at"] - epoch, p["analysed"]) for _, k, p in log
                   if k == "camera.health" and p.get("camera_id") == name and p["at"] >= epoch]
        if len(reports) >= 2:
            (t0, a0), (t1, a1) = reports[0], reports[-1]
            down = sum(max(0.0, min(o.end, t1) - max(o.start, t0)) for o in scene.outages)
            per_feed_fps.append((a1 - a0) / max(t1 - t0 - down, 1e-6))
    cpu_s, srv_cpu_s, wall = cpu
    return {
        "feeds": feeds,
        "seconds": seconds,
        "main_stream": f"{MAIN_SIZE[0]}x{MAIN_SIZE[1]} MJPEG",
        "analysis_stream": sub_label,
        "analysis_fps_configured": analysis_fps,
        "people_fps_configured": people_fps,
        "analysis_fps_per_feed": round(statistics.mean(per_feed_fps), 2) if per_feed_fps else None,
        "cpu_pct_per_feed": round(cpu_s / wall / feeds * 100, 2),
        "cpu_pct_camera_simulator_total": round(srv_cpu_s / wall * 100, 1),
        "motion_events_truth": truth_total,
        "motion_events_detected": found_total,
        "motion_event_precision": round(matched_found / found_total, 3) if found_total else 0.0,
        "motion_event_recall": round(matched_truth / truth_total, 3) if truth_total else 0.0,
        "motion_events_missed": missed,
        "events_with_people_detected": people_events,
        "outages": len(offline_delays) + missed_offline,
        "outages_missed": missed_offline,
        "offline_detect_s_max": round(max(offline_delays), 2) if offline_delays else None,
        "offline_detect_s_mean": round(statistics.mean(offline_delays), 2) if offline_delays else None,
        "recovery_detect_s_max": round(max(recovery_delays), 2) if recovery_delays else None,
        "wall_latency_ms_p50": round(statistics.median(lags), 1) if lags else None,
        "wall_latency_ms_p95": round(float(np.percentile(lags, 95)), 1) if lags else None,
        "wall_frames_measured": len(lags),
        "wall_latency_method": "render time stamped in the 1280x720 main stream, read back after HTTP "
                               "MJPEG delivery and JPEG decode on loopback (no browser, no display)",
        "snapshots_written": sum(1 for p in Path(media).rglob("*.jpg") if p.parent.name != LATEST_FOLDER),
        "clips_written": len(list(Path(media).rglob("*.mp4"))),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "cpu_count": os.cpu_count(),
    }
