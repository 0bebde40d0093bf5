"""A load-client process: some of the benchmark's participants, driven on one asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import time
from pathlib import Path

from .. import aiortc_hooks
from ..client import MediaClient
from ..messages import PublishHintEvent
from ..worker import restrict_ice_addresses, set_priority
from .clip import FPS, load_clip
from .loadclient import LoadPeer, decode_samples

ROOM = "bench"


def media_client(spec: dict) -> MediaClient:
    """The bench's control channel: this host's workers, or the media nodes of `spec["nodes"]`."""
    nodes = spec.get("nodes")
    if not nodes:
        return MediaClient(Path(spec["run_dir"]), spec["workers"], spec.get("room_workers"))
    from ..nodeclient import NodeMediaClient
    from ..registry import NodeRegistry

    return NodeMediaClient(NodeRegistry(nodes["url"], nodes["namespace"]), nodes["secret"])


VIDEO, AUDIO = 0, 1
AUDIO_INTERVAL = 0.02
MAX_CATCH_UP = 2
TIMER_RESOLUTION = 0.001


class SendSchedule:
    """When each publisher's next video frame and audio packet are due: a heap of (due time,
    peer index, kind), so a wake-up costs what is due, not a pass over every peer.

    Publisher `i` of `n` peers sends its first frame at `t0 + i / (FPS * n)` (its own phase
    within the frame interval) and its first audio packet at `t0 + (i % 4) * 5 ms`. A publisher
    found late sends at most MAX_CATCH_UP frames and then drops frames rather than burst; audio
    catches up packet by packet.
    """

    def __init__(self, t0: float, publishers: list[int], n: int) -> None:
        self._heap = [(t0 + i / (FPS * n), i, VIDEO) for i in publishers]
        self._heap += [(t0 + (i % 4) * 0.005, i, AUDIO) for i in publishers]
        heapq.heapify(self._heap)

    def due(self, now: float) -> list[tuple[int, int, int]]:
        """(peer index, VIDEO or AUDIO, how many to send now) for everything due by `now`."""
        heap = self._heap
        out = []
        while heap and heap[0][0] <= now:
            at, i, kind = heap[0]
            count = 0
            if kind == VIDEO:
                while at <= now and count < MAX_CATCH_UP:
                    at += 1 / FPS
                    count += 1
                if at <= now:
                    at = now + 1 / FPS  # fell behind: drop frames rather than burst
            else:
                while at <= now:
                    at += AUDIO_INTERVAL
                    count += 1
            heapq.heapreplace(heap, (at, i, kind))
            out.append((i, kind, count))
        return out

    def next_due(self, default: float) -> float:
        return self._heap[0][0] if self._heap else default


class SpeakerSchedule:
    """Who has the floor at a time: the last turn of `schedule` ((seconds after t0, participant),
    in order) that has started."""

    def __init__(self, t0: float, schedule: list[tuple[float, str]]) -> None:
        self._t0 = t0
        self._turns = sorted(schedule, key=lambda turn: turn[0])
        self._next = 0
        self._speaker: str | None = None

    def at(self, now: float) -> str | None:
        turns = self._turns
        while self._next < len(turns) and now - self._t0 >= turns[self._next][0]:
            self._speaker = turns[self._next][1]
            self._next += 1
        return self._speaker


async def _run(spec: dict, conn) -> dict:
    clip = load_clip(Path(spec["var_dir"]))
    media = media_client(spec)
    await media.connect()
    peers = []
    for pid, role in spec["peers"]:
        # The chair and observers see the speaker and every district's tile; a district sees
        # the chair and the speaker. Observers publish nothing.
        wide = role in ("host", "observer")
        peers.append(LoadPeer(pid, role, clip, publish_low=role == "district",
                              video_slots=1 + spec.get("page", spec["districts"]) if wide else 2, audio_slots=3,
                              sample=pid in spec["sample"], publish=role != "observer"))

    async def negotiate(pid: str, role: str, sdp: str) -> str:
        return await media.add_participant(ROOM, pid, role, sdp)

    for peer in peers:
        await peer.connect(negotiate)
    by_id = {p.participant_id: p for p in peers}

    async def follow_hints() -> None:
        async for event in media.events():
            if isinstance(event, PublishHintEvent) and event.participant in by_id:
                by_id[event.participant].publish_hint(event.layer, event.active)

    hints = asyncio.ensure_future(follow_hints()) if spec["pause_unwatched"] else None
    deadline = time.time() + 30
    while not all(p.connected for p in peers) and time.time() < deadline:
        await asyncio.sleep(0.05)
    loop = asyncio.get_running_loop()
    conn.send({"ready": sum(p.connected for p in peers)})
    t0, window_start, window_end, schedule = await loop.run_in_executor(None, conn.recv)

    # Each publisher sends its frames at its own phase within the 33 ms frame interval, as
    # independent cameras would; audio every 20 ms.
    sends = SendSchedule(t0, [i for i, p in enumerate(peers) if p.layers], len(peers))
    speakers = SpeakerSchedule(t0, schedule)
    talking: LoadPeer | None = None
    marked = False
    cpu_start = 0.0
    end = window_end + 0.5
    lags: list[float] = []  # how late this loop woke for its next send, in the window
    wake = time.time()
    while True:
        now = time.time()
        if now >= end:
            break
        if marked:
            lags.append(now - wake)
        if not marked and now >= window_start:
            for p in peers:
                p.mark_window()
            marked = True
            cpu_start = time.process_time()
        speaker = by_id.get(speakers.at(now))
        if speaker is not talking:
            if talking is not None:
                talking.talking = False
            if speaker is not None:
                speaker.talking = True
            talking = speaker
        for i, kind, count in sends.due(now):
            peer = peers[i]
            send = peer.send_video_frame if kind == VIDEO else peer.send_audio_packet
            for _ in range(count):
                send(now)
        wake = sends.next_due(end)
        delay = wake - time.time()
        # The event loop's timers count whole milliseconds: uvloop runs a shorter sleep at once,
        # so with publishers' phases ~0.5 ms apart the loop spun until the next due time (65
        # publishers on uvloop: 48,000 wake-ups a second, 46,600 of them with nothing due). Wait
        # at least a millisecond, as asyncio's own loop does, and send what fell due meanwhile.
        await asyncio.sleep(max(delay, TIMER_RESOLUTION) if delay > 0 else 0)

    client_cpu = time.process_time() - cpu_start
    for peer in peers:  # frames sent up to the end of the window, not the extra half second
        for layer in peer.window_sent:
            peer.window_sent[layer] -= round(0.5 * FPS)
    results = []
    for peer in peers:
        expected, received = peer.window_loss()
        streams = []
        for ssrc, s in peer.by_ssrc.items():
            in_window = [t for t in s.frame_times if window_start <= t <= window_end]
            streams.append({
                "ssrc": ssrc, "kind": s.kind, "slot": s.slot, "packets": s.packets,
                "frames_in_window": len(in_window),
                "first_frame": s.frame_times[0] if s.frame_times else None,
                "latencies_ms": [round(d * 1000, 2) for t, d in s.latencies if window_start <= t <= window_end],
                "keyframes": s.keyframes,
            })
        results.append({"participant": peer.participant_id, "role": peer.role, "expected": expected,
                        "received": received, "streams": streams, "pli_received": peer.pli_received,
                        "nacks_received": peer.nacks_received,
                        "sent_packets": sum(o.packets for o in peer.out.values()),
                        "frames_sent_in_window": {layer: peer.out[layer].frames_sent - n
                                                  for layer, n in peer.window_sent.items()}})
    if hints is not None:
        hints.cancel()
    decoded, failed = decode_samples(peers)
    for peer in peers:
        await peer.pc.close()
    await media.close()
    lags.sort()
    return {"peers": results, "sample_decoded_frames": decoded, "sample_decode_failures": failed,
            "cpu_seconds": client_cpu,
            "loop_lag_ms": [round(lags[min(len(lags) - 1, round(q * (len(lags) - 1)))] * 1000, 1)
                            for q in (0.5, 0.99, 1.0)] if lags else []}


def run_client_process(spec: dict, conn) -> None:
    set_priority(spec["nice"])
    aiortc_hooks.install()
    restrict_ice_addresses([spec.get("ice_address") or "127.0.0.1"])  # the bridge's, when nodes are hosts
    with contextlib.suppress(ImportError):
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        conn.send({"result": asyncio.run(_run(spec, conn))})
    except Exception as exc:  # report rather than hang the orchestrator
        import traceback

        conn.send({"error": f"{type(exc).__name__}: {exc}", "traceback": traceback.format_exc()})
