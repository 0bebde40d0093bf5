"""Light load clients for the SFU benchmark: real ICE, DTLS and SRTP (aiortc), but no encoder
and no decoder on the media path.

A publisher sends pre-encoded clip frames (VP8 high and low, Opus) with RTP headers built
here, stamps abs-capture-time with its send time, answers NACKs from a history and answers a
keyframe request by restarting the clip at its keyframe. A subscriber counts packets and
reassembles frames from the RTP headers only (marker bit, sequence gaps) and records for each
complete frame the delay since the publisher sent it; a sample of frames is kept and decoded
at the end to show the forwarded stream is decodable.
"""

from __future__ import annotations

import random
import struct
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import is_rtx
from aiortc.rtp import RTCP_PSFB_FIR, RTCP_PSFB_PLI, RTCP_RTPFB_NACK, RtcpPacket, RtcpPsfbPacket, RtcpRtpfbPacket

from ..fastpath import FastPath
from ..history import PacketHistory, wrap_rtx
from ..payloads import vp8_is_keyframe_start
from ..rtp import ExtensionIds, abs_capture_time_now, build_rtp, extension_block, ntp_to_unix
from .clip import FPS, Clip
from .packetize import vp8_chunks, vp8_depayload, vp8_descriptors

_HEADER = struct.Struct("!BBHII")
_SEQ_TS_SSRC = struct.Struct("!HII")
SAMPLE_FRAMES = 45

Negotiate = Callable[[str, str, str], Awaitable[str]]


@dataclass
class OutStream:
    layer: str
    ssrc: int
    payload_type: int
    rtx_payload_type: int | None
    rtx_ssrc: int
    ext: ExtensionIds
    mid: str
    seq: int = field(default_factory=lambda: random.randrange(0x8000))
    rtx_seq: int = field(default_factory=lambda: random.randrange(0x8000))
    ts_base: int = field(default_factory=lambda: random.randrange(0x100000000))
    index: int = 0  # position in the clip
    count: int = 0  # frames (or audio packets) sent
    picture_id: int = field(default_factory=lambda: random.randrange(0x8000))
    restart: bool = False
    paused: bool = False
    frames_sent: int = 0
    history: PacketHistory = field(default_factory=lambda: PacketHistory(512))
    packets: int = 0
    mid_element: bytes = b""  # the encoded mid header extension element, the same on every packet

    def __post_init__(self) -> None:
        if self.ext.mid:
            mid = self.mid.encode()
            self.mid_element = bytes([(self.ext.mid << 4) | (len(mid) - 1)]) + mid


@dataclass
class InStream:
    mid: str
    kind: str
    slot: int
    packets: int = 0
    base_seq: int | None = None
    max_ext_seq: int = 0
    frames: int = 0
    keyframes: list[float] = field(default_factory=list)
    latencies: list[tuple[float, float]] = field(default_factory=list)  # (frame complete, delay)
    window_seq: int = 0
    window_packets: int = 0
    frame_ts: int | None = None
    frame_ok: bool = False
    frame_key: bool = False
    last_seq: int | None = None
    frame_times: list[float] = field(default_factory=list)
    sample: list[bytes] = field(default_factory=list)
    sample_parts: list[bytes] = field(default_factory=list)
    sampling: bool = False


class LoadPeer:
    def __init__(self, participant_id: str, role: str, clip: Clip, *, publish_low: bool,
                 video_slots: int, audio_slots: int, sample: bool, publish: bool = True) -> None:
        self.participant_id = participant_id
        self.role = role
        self.clip = clip
        self.publish_low = publish_low
        self.layers = (["audio", "high"] + (["low"] if publish_low else [])) if publish else []
        self.video_slots = video_slots
        self.audio_slots = audio_slots
        self.sample = sample
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[], bundlePolicy=RTCBundlePolicy.MAX_BUNDLE))
        self.out: dict[str, OutStream] = {}
        self.by_ssrc: dict[int, InStream] = {}
        self.fastpath: FastPath | None = None
        self.talking = False
        self.pli_received = 0
        self.nacks_received = 0
        self.capture_id = 0
        self.window_sent: dict[str, int] = {}
        self._chunks = clip_chunks(clip)

    async def connect(self, negotiate: Negotiate) -> None:
        pc = self.pc
        for layer in self.layers:
            t = pc.addTransceiver("audio" if layer == "audio" else "video", direction="sendonly")
            t.sender.send = self._send_hook(layer)
        slots = [("video", i) for i in range(self.video_slots)] + [("audio", i) for i in range(self.audio_slots)]
        for kind, slot in slots:
            t = pc.addTransceiver(kind, direction="recvonly")
            t.receiver.receive = self._receive_hook(kind, slot)
        await pc.setLocalDescription(await pc.createOffer())
        self.fastpath = FastPath(pc.getTransceivers()[0].receiver.transport, self._on_rtp, self._on_rtcp)
        answer = await negotiate(self.participant_id, self.role, pc.localDescription.sdp)
        await pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))

    def _send_hook(self, layer: str):
        async def send(parameters) -> None:
            codec = parameters.codecs[0]
            rtx = next((c.payloadType for c in parameters.codecs if is_rtx(c)), None)
            sender = next(t.sender for t in self.pc.getTransceivers() if t.mid == parameters.muxId)
            ext = ExtensionIds.from_parameters(parameters.headerExtensions)
            self.capture_id = ext.abs_capture_time
            self.out[layer] = OutStream(layer, sender._ssrc, codec.payloadType, rtx, sender._rtx_ssrc, ext,
                                        parameters.muxId)
        return send

    def _receive_hook(self, kind: str, slot: int):
        async def receive(parameters) -> None:
            for encoding in parameters.encodings:
                self.by_ssrc[encoding.ssrc] = InStream(parameters.muxId, kind, slot)
        return receive

    @property
    def connected(self) -> bool:
        return self.fastpath is not None and self.fastpath.connected and len(self.out) == len(self.layers)

    # -- sending ------------------------------------------------------------------------------

    def send_video_frame(self, now: float) -> None:
        for layer in ("high", "low"):
            stream = self.out.get(layer)
            if stream is None:
                continue
            frames = self._chunks[layer]  # each clip frame cut into its packets' payloads
            if stream.paused:
                # A paused encoder sends nothing, but its clock runs on.
                stream.count += 1
                stream.restart = True
                continue
            if stream.restart or stream.index >= len(frames):
                stream.index = 0
                stream.restart = False
            chunks = frames[stream.index]
            stream.index += 1
            stream.frames_sent += 1
            ts = (stream.ts_base + stream.count * (90000 // FPS)) & 0xFFFFFFFF
            stream.count += 1
            stream.picture_id = (stream.picture_id + 1) & 0x7FFF
            elements = stream.mid_element
            if stream.ext.abs_capture_time:
                elements += bytes([(stream.ext.abs_capture_time << 4) | 7]) + abs_capture_time_now()
            ext_block = extension_block(elements)
            b0 = 0x90 if ext_block else 0x80
            first, rest = vp8_descriptors(stream.picture_id)
            last = len(chunks) - 1
            history = stream.history
            send_rtp = self.fastpath.send_rtp
            seq = stream.seq
            for i, chunk in enumerate(chunks):
                header = _HEADER.pack(b0, (i == last) << 7 | stream.payload_type, seq, ts, stream.ssrc)
                packet = b"".join((header, ext_block, rest if i else first, chunk))
                history.put(seq, packet)
                seq = (seq + 1) & 0xFFFF
                send_rtp(packet)
            stream.seq = seq
            stream.packets += len(chunks)

    def send_audio_packet(self, now: float) -> None:
        stream = self.out.get("audio")
        if stream is None:
            return
        payload = self.clip.audio[stream.count % len(self.clip.audio)]
        ts = (stream.ts_base + stream.count * 960) & 0xFFFFFFFF
        stream.count += 1
        # Speech: loud most of the time with short pauses; otherwise room noise.
        if self.talking:
            level = 25 + (stream.count * 7) % 10 if stream.count % 10 else 80
        else:
            level = 100 + (stream.count * 3) % 20
        elements = stream.mid_element
        if stream.ext.audio_level:
            elements += bytes([stream.ext.audio_level << 4, level])
        packet = build_rtp(stream.payload_type, 0, stream.seq, ts, stream.ssrc, payload, extension_block(elements))
        stream.history.put(stream.seq, packet)
        stream.seq = (stream.seq + 1) & 0xFFFF
        stream.packets += 1
        self.fastpath.send_rtp(packet)

    # -- feedback from the relay ----------------------------------------------------------------

    def _on_rtcp(self, data: bytes) -> None:
        try:
            packets = RtcpPacket.parse(data)
        except ValueError:
            return
        streams = {s.ssrc: s for s in self.out.values()}
        for packet in packets:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                stream = streams.get(packet.media_ssrc)
                if stream is not None:
                    stream.restart = True
                    self.pli_received += 1
            elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                stream = streams.get(packet.media_ssrc)
                if stream is None:
                    continue
                self.nacks_received += 1
                for seq in packet.lost:
                    original = stream.history.get(seq)
                    if original is None:
                        continue
                    if stream.rtx_payload_type is not None:
                        original = wrap_rtx(original, stream.rtx_payload_type, stream.rtx_seq, stream.rtx_ssrc)
                        stream.rtx_seq = (stream.rtx_seq + 1) & 0xFFFF
                    self.fastpath.send_rtp(original)

    # -- receiving ----------------------------------------------------------------------------

    def _on_rtp(self, data: bytes) -> None:
        seq, ts, ssrc = _SEQ_TS_SSRC.unpack_from(data, 2)
        stream = self.by_ssrc.get(ssrc)
        if stream is None:
            return
        stream.packets += 1
        if stream.base_seq is None:
            stream.base_seq = seq
            stream.max_ext_seq = seq
        else:
            ext = stream.max_ext_seq
            delta = (seq - ext) & 0xFFFF
            if delta < 0x8000:
                stream.max_ext_seq = ext + delta
        if stream.kind != "video":
            return
        b0 = data[0]
        start = 12 + 4 * (b0 & 0x0F)
        pos = start
        if b0 & 0x10:
            pos += 4 + 4 * ((data[start + 2] << 8) | data[start + 3])
        if ts != stream.frame_ts:
            # A new frame starts: it is complete only if its first packet starts the picture and
            # no sequence number is missing up to its marker bit.
            stream.frame_ts = ts
            stream.frame_ok = len(data) > pos and bool(data[pos] & 0x10)
            stream.frame_key = stream.frame_ok and vp8_is_keyframe_start(data[pos:])
            stream.sample_parts = []
        elif stream.last_seq is None or seq != (stream.last_seq + 1) & 0xFFFF:
            stream.frame_ok = False
        stream.last_seq = seq
        if stream.sampling or (self.sample and stream.frame_key and not stream.sample and stream.frame_ok):
            stream.sampling = True
            stream.sample_parts.append(data[pos:])
        if data[1] & 0x80 and stream.frame_ok:
            # The frame is complete: its delay since the publisher sent it, from the
            # abs-capture-time its last packet carries.
            now = time.time()
            stream.frames += 1
            stream.frame_times.append(now)
            capture = self._capture_time(data, start, pos) if b0 & 0x10 else None
            if capture is not None:
                stream.latencies.append((now, now - ntp_to_unix(capture)))
            if stream.frame_key:
                stream.keyframes.append(now)
            if stream.sampling:
                stream.sample.append(b"".join(vp8_depayload(p) for p in stream.sample_parts))
                stream.sample_parts = []
                if len(stream.sample) >= SAMPLE_FRAMES:
                    stream.sampling = False
            stream.frame_ok = False

    def _capture_time(self, data: bytes, start: int, end: int) -> int | None:
        """abs-capture-time (NTP) from the one-byte extension block at data[start:end]."""
        capture = None
        i = start + 4
        while i < end:
            b = data[i]
            if b == 0:
                i += 1
                continue
            ext_id, length = b >> 4, (b & 0x0F) + 1
            if ext_id == self.capture_id and length == 8:
                capture = int.from_bytes(data[i + 1 : i + 9], "big")
            i += 1 + length
        return capture

    def publish_hint(self, layer: str, active: bool) -> None:
        stream = self.out.get(layer)
        if stream is not None:
            stream.paused = not active

    def mark_window(self) -> None:
        """Start counting loss (and frames sent) from here."""
        self.window_sent = {layer: o.frames_sent for layer, o in self.out.items() if layer != "audio"}
        for stream in self.by_ssrc.values():
            stream.window_seq = stream.max_ext_seq if stream.base_seq is not None else 0
            stream.window_packets = stream.packets

    def window_loss(self) -> tuple[int, int]:
        """(expected, received) packets since `mark_window`, over streams that were flowing then."""
        expected = received = 0
        for stream in self.by_ssrc.values():
            if stream.base_seq is not None and stream.window_packets:
                expected += stream.max_ext_seq - stream.window_seq
                received += stream.packets - stream.window_packets
        return expected, received


_CHUNKS: dict[int, tuple[Clip, dict[str, list[list[bytes]]]]] = {}


def clip_chunks(clip: Clip) -> dict[str, list[list[bytes]]]:
    """Each clip frame of each video layer cut into its packets' payloads, once per clip."""
    entry = _CHUNKS.get(id(clip))
    if entry is None or entry[0] is not clip:
        chunks = {"high": [vp8_chunks(f) for f in clip.high], "low": [vp8_chunks(f) for f in clip.low]}
        entry = _CHUNKS[id(clip)] = (clip, chunks)
    return entry[1]


def decode_samples(peers: list[LoadPeer]) -> tuple[int, int]:
    """Decode the sampled frames with libvpx: (frames decoded, frames that failed)."""
    import av

    decoded = failed = 0
    for peer in peers:
        for stream in peer.by_ssrc.values():
            if not stream.sample:
                continue
            codec = av.CodecContext.create("libvpx", "r")
            for frame in stream.sample:
                try:
                    decoded += len(codec.decode(av.Packet(frame)))
                except av.FFmpegError:
                    failed += 1
    return decoded, failed
