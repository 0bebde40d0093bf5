"""`giaoban bench sfu`: the provincial meeting on this machine, measured.

Starts the media workers (as `giaoban up` would), load-client processes holding the host and
the districts, runs the meeting with the floor passing from district to district (by voice:
the publishers' audio levels), and afterwards the same per-packet CPU measurement for
aiortc's decode-and-re-encode relay on a smaller load.
"""

from __future__ import annotations

import asyncio
import json
import math
import multiprocessing
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from core.settings import get_settings
from core.socket_dir import make_socket_dir, socket_dir

from ..messages import SpeakerEvent
from ..service import WorkerPool
from .baseline import BaselineClient, run_baseline_server
from .clients import media_client, run_client_process
from .clip import clip_bitrates, load_clip
from .loadclient import LoadPeer

WARMUP_SECONDS = 5.0
TURN_SECONDS = 5.0
CLIENT_PROCESSES = 2
SWITCH_TIMEOUT = 3.0


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 2)


def run_bench(districts: int, seconds: int, var_dir: Path, workers: int, baseline_seconds: int = 10,
              pause_unwatched: bool = False, nice: int = 0, observers: int = 0, record: bool = False,
              nodes: int = 0, leases_url: str = "", secret: str = "bench") -> dict:
    clip = load_clip(var_dir)
    run_dir = socket_dir(var_dir, f"bench-{os.getpid()}")  # its Unix sockets: a short path
    if nodes:
        result = _run_on_nodes(districts, seconds, var_dir, run_dir, nodes, pause_unwatched, nice, observers,
                               leases_url or "redis://127.0.0.1:6379/0", secret)
    else:
        result = _run_meeting(districts, seconds, var_dir, run_dir, workers, pause_unwatched, nice, observers, None)
    if record:
        # The same meeting again with the archive recorded, on fresh workers, in the same run: the
        # figures side by side, and what the recorder costs per recorded packet.
        archive = var_dir / "bench" / f"archive-{os.getpid()}"
        shutil.rmtree(archive, ignore_errors=True)
        recorded = _run_meeting(districts, seconds, var_dir, run_dir, workers, pause_unwatched, nice, observers,
                                archive)
        result["record"] = _compare(result, recorded)
        result["record"]["archive_dir"] = str(archive)  # kept for a look; the next run starts it afresh
    try:
        result["baseline"] = (asyncio.run(_baseline_run(var_dir, run_dir, baseline_seconds, nice))
                              if baseline_seconds else {"skipped": True})
    finally:
        shutil.rmtree(run_dir, ignore_errors=True)
    base = result["baseline"].get("cpu_us_per_forwarded_packet")
    ours = result["sfu_cpu_us_per_forwarded_packet"]
    result["process_nice"] = nice
    result["cpu_ratio_vs_baseline"] = round(ours / base, 3) if base and ours else None
    result["clip"] = {k: round(v, 1) for k, v in clip_bitrates(clip).items()}
    return result


def _run_meeting(districts: int, seconds: int, var_dir: Path, run_dir: Path, workers: int, pause_unwatched: bool,
                 nice: int, observers: int, archive: Path | None) -> dict:
    pool = WorkerPool(run_dir, workers, ["127.0.0.1"], nice=nice)
    pool.start()
    try:
        return asyncio.run(_main_run(districts, seconds, var_dir, run_dir, workers, pause_unwatched, nice,
                                     observers, archive))
    finally:
        pool.stop()


# The chair's console shows one page of tiles at a time (5x5); beyond the 26 districts the bench's
# chair receives one page, as the console asks for.
CONSOLE_PAGE = 25
_NODE = ("import sys; from conference.media.node import run_node; "
         "run_node(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6], "
         "sys.argv[7], int(sys.argv[8]))")


def _free_port(address: str, kind: int) -> int:
    with socket.socket(socket.AF_INET, kind) as probe:
        probe.bind((address, 0))
        return probe.getsockname()[1]


def _run_on_nodes(districts: int, seconds: int, var_dir: Path, run_dir: Path, count: int, pause_unwatched: bool,
                  nice: int, observers: int, leases_url: str, secret: str) -> dict:
    """The meeting on `count` media nodes, each its own process with its own address, registered in
    Redis under a namespace of this run. Where namespaces can be made (root), each node is a host
    of its own: a network namespace on a bridge (`hosts.py`), reaching Redis through a forwarder,
    the load clients in the root namespace on the bridge; else 127.0.0.2, .3, ... (every 127/8
    address is this host's)."""
    from ..registry import NodeRegistry
    from .hosts import Hosts, netns_refusal

    namespace = f"bench-{os.getpid()}-{int(time.time())}:"
    processes = []
    log = var_dir / "bench" / "nodes.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    refusal = netns_refusal()
    hosts = None if refusal else Hosts()
    ice_address = "127.0.0.1"
    try:
        node_url = leases_url
        if hosts is not None:
            hosts.open()
            parts = urlsplit(leases_url)
            forwarded = hosts.forward_redis((parts.hostname or "127.0.0.1", parts.port or 6379))
            node_url = forwarded.rsplit("/", 1)[0] + (parts.path or "/0")
            ice_address = hosts.gateway
        with open(log, "ab") as out:
            for i in range(count):
                if hosts is not None:
                    host = hosts.add(f"n{i + 1}")
                    # A host of its own: its own port numbers too.
                    argv = host.command([sys.executable, "-c", _NODE, f"bench-node-{i + 1}", host.address, "7000",
                                         "7001", node_url, namespace, secret, str(nice)])
                else:
                    address = f"127.0.0.{2 + i}"
                    argv = [sys.executable, "-c", _NODE, f"bench-node-{i + 1}", address,
                            str(_free_port(address, socket.SOCK_STREAM)), str(_free_port(address, socket.SOCK_DGRAM)),
                            node_url, namespace, secret, str(nice)]
                processes.append(subprocess.Popen(argv, stdout=out, stderr=out))

        async def registered() -> None:
            registry = NodeRegistry(leases_url, namespace)
            try:
                deadline = time.time() + 120
                while len(await registry.nodes()) < count:
                    if time.time() > deadline or any(p.poll() is not None for p in processes):
                        raise RuntimeError(f"the media nodes did not register (see {log})")
                    await asyncio.sleep(0.3)
            finally:
                await registry.close()

        asyncio.run(registered())
        spec = {"url": leases_url, "namespace": namespace, "secret": secret}
        result = asyncio.run(_main_run(districts, seconds, var_dir, run_dir, 0, pause_unwatched, nice, observers,
                                       None, spec, ice_address))
    finally:
        for proc in processes:
            proc.terminate()
        for proc in processes:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if hosts is not None:
            hosts.close()
    result["media_nodes"] = count
    result["node_hosts"] = (f"network namespaces on a bridge ({hosts.prefix}.0/24), load clients in the root "
                            f"namespace at {hosts.gateway}" if hosts is not None
                            else f"loopback addresses 127.0.0.2-{1 + count} (no namespaces: {refusal})")
    return result


def _node_figures(before: list[dict], after: list[dict], duration: float, parties: int) -> dict:
    """Per node: CPU per forwarded packet; between nodes: packets per second and their ratio to
    the minimum (one copy per stream per remote node that has a DownTrack bound to it)."""
    # By node number, and only nodes present at both ends of the window (a node that re-registered
    # under load may come back under another number).
    earlier = {b["worker"]: b for b in before}
    after = [a for a in after if a["worker"] in earlier and a["pid"] == earlier[a["worker"]]["pid"]]
    before = [earlier[a["worker"]] for a in after]
    per_node = []
    for b, a in zip(before, after, strict=True):
        cpu = a["cpu_seconds"] - b["cpu_seconds"]
        forwarded = a["forwarded_packets"] - b["forwarded_packets"]
        per_node.append({"node": a["worker"], "participants": a["participants"], "cpu_cores": round(cpu / duration, 3),
                         "forwarded_packets_per_s": round(forwarded / duration, 1),
                         "cpu_us_per_forwarded_packet": round(cpu * 1e6 / forwarded, 2) if forwarded else None,
                         "relay_sent_per_s": round((a["mesh_sent"] - b["mesh_sent"]) / duration, 1),
                         "relay_age_sent_ms": a.get("relay_age_sent_ms"),
                         "relay_age_received_ms": a.get("relay_age_received_ms"),
                         "relay_received_per_s": round((a["mesh_received"] - b["mesh_received"]) / duration, 1),
                         "loop_lag_ms_p50": a.get("loop_lag_ms_p50"), "loop_lag_ms_p99": a.get("loop_lag_ms_p99"),
                         "loop_lag_ms_max": a["loop_lag_ms_max"], "loop_wait_pct": _wait_pct(b, a, duration)})
    sent = sum(a["mesh_sent"] - b["mesh_sent"] for a, b in zip(after, before, strict=True))
    received = sum(a["mesh_received"] - b["mesh_received"] for a, b in zip(after, before, strict=True))
    used = sum(a.get("relay_used", 0) - b.get("relay_used", 0) for a, b in zip(after, before, strict=True))
    cpu = sum(a["cpu_seconds"] - b["cpu_seconds"] for a, b in zip(after, before, strict=True))
    forwarded = sum(a["forwarded_packets"] - b["forwarded_packets"] for a, b in zip(after, before, strict=True))
    us = cpu * 1e6 / forwarded if forwarded else None
    cores = cpu / duration
    per_core = parties / cores if cores else None
    return {
        "nodes": per_node,
        "inter_node_packets_per_s": round(sent / duration, 1),
        "inter_node_minimum_packets_per_s": round(used / duration, 1),
        # Received, not sent: a datagram the receiving node's full socket dropped (a node behind,
        # starved of CPU) never reached a DownTrack, and would count as excess.
        "inter_node_ratio_to_minimum": round(received / used, 3) if used else None,
        "inter_node_ratio_sent_to_minimum": round(sent / used, 3) if used else None,
        # The nodes' counters are read one after the other: a datagram in flight at the edges can
        # count as received and not sent (it showed as -0.2 per second).
        "inter_node_dropped_per_s": round(max(0, sent - received) / duration, 1),
        "parties_per_core": round(per_core, 1) if per_core else None,
        "capacity": (f"{us:.1f} us CPU per forwarded packet; {cores:.2f} cores carried {parties} parties: "
                     f"{per_core:.0f} parties per core, so 131 parties need {131 / per_core:.1f} cores "
                     f"({_hosts(max(1, math.ceil(131 / per_core / 2 * 1.5)))} loaded to two-thirds at most)"
                     if us and per_core else None),
        "inter_node_method": "relay sent = datagrams the nodes sent to each other on the trunk in the window; "
                             "minimum = those a receiving node bound to at least one DownTrack (one copy per stream "
                             "per remote node that shows it); the ratio is received over minimum (dropped = sent but "
                             "not received: the receiving socket was full); the excess are packets of a layer in "
                             "flight when its last subscriber on that node left it (speaker detection needs no "
                             "packets: the levels cross as `Levels` messages, a few per second per node).",
    }


COMPARED = ("loss_pct", "latency_ms_p50", "latency_ms_p99", "speaker_switch_ms_p50", "speaker_switch_ms_p99",
            "speaker_switch_missed", "min_received_fps", "sfu_cpu_us_per_forwarded_packet", "sfu_loop_lag_ms_max",
            "sfu_loop_lag_ms_p99",
            "sfu_decoded_frames", "sfu_encoded_frames", "publisher_keyframe_requests")


def _wait_pct(before: dict, after: dict, duration: float) -> float | None:
    """The share of the window (%) a worker's loop thread waited for a CPU."""
    if after.get("loop_wait_seconds") is None or before.get("loop_wait_seconds") is None:
        return None
    return round(100 * (after["loop_wait_seconds"] - before["loop_wait_seconds"]) / duration, 1)


def _compare(plain: dict, recorded: dict) -> dict:
    """The recorded run's figures beside the plain run's, and the recorder's own."""
    return {
        "side_by_side": {key: {"without_record": plain.get(key), "with_record": recorded.get(key)}
                         for key in COMPARED},
        **{k: v for k, v in recorded.items() if k.startswith("recorder_") or k.startswith("recorded_")
           or k.startswith("record_")},
        "method": "The same meeting run twice in this bench on fresh media workers, first without recording, then "
                  "with every publisher's audio and high video and the program recorded. Recorder CPU = user+system "
                  "time of the recorder processes (one per worker, nice 10, from /proc) over the measured window, "
                  "per packet the workers copied to them; record_dropped = recording packets dropped (queue or "
                  "recorder socket full), never forwarded ones.",
    }


async def _main_run(districts: int, seconds: int, var_dir: Path, run_dir: Path, workers: int,
                    pause_unwatched: bool, nice: int, observers: int, archive: Path | None = None,
                    nodes: dict | None = None, ice_address: str = "127.0.0.1") -> dict:
    page = districts if districts <= 26 else CONSOLE_PAGE
    # Placement as the product does it (GIAOBAN_MEDIA_ROOM_WORKERS; 1: the room on one worker).
    room_workers = get_settings().media_room_workers
    media = media_client({"run_dir": str(run_dir), "workers": workers, "nodes": nodes, "room_workers": room_workers})
    await media.connect()
    if archive is not None:
        await media.record("bench", str(archive))
    speaker_events: list[dict] = []

    async def collect() -> None:
        async for event in media.events():
            if isinstance(event, SpeakerEvent):
                speaker_events.append(event.model_dump())

    collector = asyncio.ensure_future(collect())
    participants = ([("chu-toa", "host")] + [(f"dc-{i:02d}", "district") for i in range(1, districts + 1)]
                    + [(f"ops-{i}", "observer") for i in range(1, observers + 1)])
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    for c in range(CLIENT_PROCESSES):
        mine = participants[c::CLIENT_PROCESSES]
        spec = {"var_dir": str(var_dir), "run_dir": str(run_dir), "workers": workers, "districts": districts,
                "peers": mine, "sample": {mine[0][0], mine[-1][0]}, "pause_unwatched": pause_unwatched,
                "nice": nice, "nodes": nodes, "page": page, "ice_address": ice_address,
                "room_workers": room_workers}
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=run_client_process, args=(spec, child), daemon=True)
        proc.start()
        pipes.append(parent)
        procs.append(proc)
    loop = asyncio.get_running_loop()
    ready = 0
    for parent in pipes:
        message = await loop.run_in_executor(None, parent.recv)
        if "error" in message:
            raise RuntimeError(f"load client failed: {message['error']}\n{message.get('traceback', '')}")
        ready += message["ready"]

    t0 = time.time() + 0.5
    window_start = t0 + WARMUP_SECONDS
    window_end = window_start + seconds
    # The floor passes from district to district every TURN_SECONDS, starting in the warm-up.
    schedule = []
    turn, k = 1.0, 0
    while turn < WARMUP_SECONDS + seconds:
        schedule.append((turn, f"dc-{k % districts + 1:02d}"))
        turn += TURN_SECONDS
        k += 1
    for parent in pipes:
        parent.send((t0, window_start, window_end, schedule))

    await asyncio.sleep(max(0.0, window_start - time.time()))
    before = [s.model_dump() for s in await media.worker_stats()]
    await asyncio.sleep(max(0.0, window_end - time.time()))
    after = [s.model_dump() for s in await media.worker_stats()]
    stats = [s.model_dump() for s in await media.link_stats("bench")]

    results = []
    for parent in pipes:
        message = await loop.run_in_executor(None, parent.recv)
        if "error" in message:
            raise RuntimeError(f"load client failed: {message['error']}\n{message.get('traceback', '')}")
        results.append(message["result"])
    for proc in procs:
        proc.join(10)
    collector.cancel()
    await media.close()
    result = _summarise(districts, seconds, ready, before, after, results, speaker_events, window_start,
                        window_end, stats, schedule, t0)
    if archive is not None:
        duration = window_end - window_start
        recorded = sum(a["recorded_packets"] - b["recorded_packets"] for a, b in zip(after, before, strict=True))
        recorder_cpu = sum(a["recorder_cpu_seconds"] - b["recorder_cpu_seconds"]
                           for a, b in zip(after, before, strict=True))
        result["recorded_packets_per_s"] = round(recorded / duration, 1)
        result["recorder_cpu_cores"] = round(recorder_cpu / duration, 3)
        result["recorder_cpu_us_per_recorded_packet"] = round(recorder_cpu * 1e6 / recorded, 2) if recorded else None
        result["record_dropped"] = sum(a["record_dropped"] for a in after)
        result["recorded_files"] = len(list(archive.glob("*.webm"))) + len(list(archive.glob("*.mkv")))
    result["observers"] = observers
    result["console_page_size"] = page
    if not nodes:
        result["room_workers"] = min(room_workers, workers)
    if nodes:
        result.update(_node_figures(before, after, window_end - window_start,
                                    1 + districts + observers))
    result["publishers_pause_unwatched_video"] = pause_unwatched
    if pause_unwatched:
        result["min_sent_fps"] = None  # paused layers send nothing by design
    return result


def _summarise(districts: int, seconds: int, ready: int, before: list[dict], after: list[dict], results: list[dict],
               speaker_events: list[dict], window_start: float, window_end: float, link_stats: list[dict],
               schedule: list[tuple[float, str]], t0: float) -> dict:
    cpu = sum(a["cpu_seconds"] - b["cpu_seconds"] for a, b in zip(after, before, strict=True))
    cpu_sys = sum(a["cpu_system_seconds"] - b["cpu_system_seconds"] for a, b in zip(after, before, strict=True))
    forwarded = sum(a["forwarded_packets"] - b["forwarded_packets"] for a, b in zip(after, before, strict=True))
    received = sum(a["received_packets"] - b["received_packets"] for a, b in zip(after, before, strict=True))
    peers = [peer for r in results for peer in r["peers"]]
    expected = sum(p["expected"] for p in peers)
    got = sum(p["received"] for p in peers)
    latencies = [d for p in peers for s in p["streams"] for d in s["latencies_ms"]]
    duration = window_end - window_start
    fps = []
    for p in peers:
        for s in p["streams"]:
            if s["kind"] == "video" and s["first_frame"] is not None and s["first_frame"] < window_start:
                fps.append(s["frames_in_window"] / duration)

    # Switch: from the relay's decision (speaker event) to the first complete keyframe on each
    # subscriber's speaker slot (the host's first video slot, a district's second).
    switch_ms, missed = [], 0
    for event in speaker_events:
        at = event["at"]
        if not (window_start <= at <= window_end - SWITCH_TIMEOUT) or not event["participant"].startswith("dc-"):
            continue
        for p in peers:
            if p["participant"] == event["participant"]:
                continue
            slot = 1 if p["role"] == "district" else 0
            keys = [t for s in p["streams"] if s["kind"] == "video" and s["slot"] == slot for t in s["keyframes"]
                    if at < t <= at + SWITCH_TIMEOUT]
            if keys:
                switch_ms.append((min(keys) - at) * 1000)
            else:
                missed += 1
    # Voice to decision: from a district starting to talk (scripted) to the relay naming it.
    detection_ms = []
    for start, pid in schedule:
        talk = t0 + start
        if window_start <= talk <= window_end - SWITCH_TIMEOUT:
            hits = [e["at"] for e in speaker_events if e["participant"] == pid and e["at"] >= talk]
            if hits:
                detection_ms.append((min(hits) - talk) * 1000)
    return {
        "publishers": sum(1 for p in peers if p["sent_packets"]),
        "subscribers": len(peers),
        "connected": ready,
        "districts": districts,
        "seconds": seconds,
        "media_workers": len(after),
        "forwarded_packets_per_s": round(forwarded / duration, 1),
        "received_packets_per_s": round(received / duration, 1),
        "sfu_cpu_seconds": round(cpu, 3),
        "sfu_cpu_cores": round(cpu / duration, 3),
        "sfu_cpu_us_per_forwarded_packet": round(cpu * 1e6 / forwarded, 2) if forwarded else None,
        # Kernel time is mostly sendto() on loopback, where the kernel delivers the datagram to
        # the receiving socket inside the sender's system call.
        "sfu_cpu_system_seconds": round(cpu_sys, 3),
        "sfu_cpu_user_us_per_forwarded_packet": round((cpu - cpu_sys) * 1e6 / forwarded, 2) if forwarded else None,
        "sfu_decoded_frames": sum(a["decoded_frames"] for a in after),
        "sfu_encoded_frames": sum(a["encoded_frames"] for a in after),
        "loss_pct": round(100 * (expected - got) / expected, 3) if expected else None,
        "min_received_fps": round(min(fps), 2) if fps else None,
        "median_received_fps": round(statistics.median(fps), 2) if fps else None,
        # If the load clients themselves fall behind (shared CPU), publishers send fewer frames.
        "min_sent_fps": round(min(n for p in peers for n in p["frames_sent_in_window"].values()) / duration, 2),
        "publisher_video_streams": sum(len(p["frames_sent_in_window"]) for p in peers),
        "video_streams_measured": len(fps),
        "latency_ms_p50": percentile(latencies, 50),
        "latency_ms_p99": percentile(latencies, 99),
        "latency_frames": len(latencies),
        "speaker_switch_ms_p50": percentile(switch_ms, 50),
        "speaker_switch_ms_p99": percentile(switch_ms + [SWITCH_TIMEOUT * 1000] * missed, 99),
        "speaker_switches": sum(1 for e in speaker_events if window_start <= e["at"] <= window_end),
        "speaker_turns_scripted": sum(1 for start, _ in schedule if window_start <= t0 + start <= window_end),
        "speaker_switch_samples": len(switch_ms),
        "speaker_switch_missed": missed,
        "speaker_detection_ms_p50": percentile(detection_ms, 50),
        "speaker_detection_ms_max": round(max(detection_ms), 1) if detection_ms else None,
        "load_client_cpu_cores": round(sum(r["cpu_seconds"] for r in results) / duration, 3),
        # Per load-client process: how late its send loop woke (p50, p99, max ms): a client that
        # cannot keep up sends late and reads its sockets late, which shows as latency.
        "load_client_loop_lag_ms": [r.get("loop_lag_ms") for r in results],
        "sample_decoded_frames": sum(r["sample_decoded_frames"] for r in results),
        "sample_decode_failures": sum(r["sample_decode_failures"] for r in results),
        "publisher_keyframe_requests": sum(p["pli_received"] for p in peers),
        "sfu_loop_lag_ms_max": max(a["loop_lag_ms_max"] for a in after),
        # The same lags' distribution (the worst worker's), and the share of the window the
        # workers' loop threads were ready to run but waited for a CPU (the worst worker's; None
        # where the system does not say): lag that this explains is the host's load, not the relay.
        "sfu_loop_lag_ms_p50": max(a.get("loop_lag_ms_p50", 0.0) for a in after),
        "sfu_loop_lag_ms_p99": max(a.get("loop_lag_ms_p99", 0.0) for a in after),
        "sfu_loop_wait_pct": max((w for b, a in zip(before, after, strict=True)
                                  if (w := _wait_pct(b, a, duration)) is not None), default=None),
        "mesh_packets": sum(a["mesh_sent"] - b["mesh_sent"] for a, b in zip(after, before, strict=True)),
        "mesh_dropped": sum(a["mesh_dropped"] for a in after),
        "retransmitted_packets": sum(a["retransmitted_packets"] for a in after),
        "relay_loss_in_pct_max": max((s["loss_in_pct"] for s in link_stats), default=None),
        "method": (
            "SFU CPU = user+system time of the media worker processes (getrusage) over the measured window; "
            "forwarded = RTP packets sent by the relay (all DownTracks) in that window. Load clients are separate "
            "processes using aiortc for ICE/DTLS/SRTP, sending pre-encoded VP8/Opus and counting/reassembling "
            "frames from RTP headers without decoding; a sample of frames per client is decoded with libvpx "
            "afterwards. "
            "Latency = publisher send time (abs-capture-time, carried through the relay) to the subscriber "
            "holding the frame's last packet. Switch = relay's speaker decision to the first complete keyframe "
            "on each subscriber's speaker slot. All processes share this 2-core machine with other work; "
            "sfu_loop_lag_ms_max shows how late a worker's 100 ms timer ran (time the worker was not "
            "scheduled or was busy), sfu_loop_lag_ms_p50/p99 the distribution of those runs' lags, "
            "sfu_loop_wait_pct the share of the window a worker's loop thread was ready but waited for a CPU "
            "(/proc/thread-self/schedstat); process_nice is the priority the bench's processes ran at."
        ),
    }


async def _baseline_run(var_dir: Path, run_dir: Path, seconds: int, nice: int) -> dict:
    """2 publishers (Opus + VP8 360p) relayed by aiortc with decode and re-encode to 2 subscribers."""
    from .. import aiortc_hooks
    from ..worker import restrict_ice_addresses

    aiortc_hooks.install()
    restrict_ice_addresses(["127.0.0.1"])
    make_socket_dir(run_dir)
    path = run_dir / "baseline.sock"
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=run_baseline_server, args=(str(path), nice), daemon=True)
    proc.start()
    client = BaselineClient(path)
    clip = load_clip(var_dir)
    try:
        await client.connect()
        publishers = [LoadPeer(f"pub-{i}", "publisher", clip, publish_low=False, video_slots=0, audio_slots=0,
                               sample=False) for i in range(2)]
        subscribers = [LoadPeer(f"sub-{i}", "subscriber", clip, publish_low=False, video_slots=2, audio_slots=2,
                                sample=False, publish=False) for i in range(2)]
        for peer in publishers:
            await peer.connect(client.negotiate)
        deadline = time.time() + 20
        while not all(p.connected for p in publishers) and time.time() < deadline:
            await asyncio.sleep(0.05)
        # The relay's tracks exist once media flows: send for a moment before subscribers join.
        sender = asyncio.ensure_future(_send_loop(publishers, time.time() + seconds + 8))
        await asyncio.sleep(1.0)
        for peer in subscribers:
            await peer.connect(client.negotiate)
        await asyncio.sleep(3.0)
        before = await client.call("stats", {})
        await asyncio.sleep(seconds)
        after = await client.call("stats", {})
        sender.cancel()
        cpu = after["cpu_seconds"] - before["cpu_seconds"]
        sent = after["sent_packets"] - before["sent_packets"]
        for peer in publishers + subscribers:
            await peer.pc.close()
        return {
            "setup": "aiortc RTCPeerConnection + MediaRelay, 2 publishers (Opus + VP8 360p) to 2 subscribers, "
                     "each receiving both publishers' audio and video, decoded and re-encoded per subscriber",
            "seconds": seconds,
            "forwarded_packets_per_s": round(sent / seconds, 1),
            "cpu_seconds": round(cpu, 3),
            "cpu_us_per_forwarded_packet": round(cpu * 1e6 / sent, 2) if sent else None,
            "cpu_system_seconds": round(after["cpu_system_seconds"] - before["cpu_system_seconds"], 3),
            "decoded_frames": after["decoded_frames"],
            "encoded_frames": after["encoded_frames"],
        }
    finally:
        client.close()
        proc.terminate()
        proc.join(5)


async def _send_loop(peers: list[LoadPeer], end: float) -> None:
    video_due = audio_due = time.time()
    while time.time() < end:
        now = time.time()
        if now >= video_due:
            for p in peers:
                p.send_video_frame(now)
            video_due += 1 / 30
        if now >= audio_due:
            for p in peers:
                p.send_audio_packet(now)
            audio_due += 0.02
        await asyncio.sleep(max(0.0, min(video_due, audio_due) - time.time()))


def write_json(result: dict, path: Path | None) -> str:
    text = json.dumps(result, indent=2)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text + "\n")
    return text


def _hosts(count: int) -> str:
    return "1 two-core host" if count == 1 else f"{count} two-core hosts"
