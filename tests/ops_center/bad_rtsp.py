"""Misbehaving RTSP cameras on loopback, for the fault tests (a real server cannot be made to lie).

Modes: ``garbage`` answers every connection with bytes that are not RTSP; ``auth`` refuses every
request with 401 (a wrong password); ``mislabelled`` announces H.264 in its SDP and then sends
H.265 pictures under H.264's payload type, over TCP-interleaved RTP, as a misconfigured camera
does.
"""

from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
from fractions import Fraction

import av
import numpy as np


def h265_units(count: int = 50, size: tuple[int, int] = (320, 240)) -> list[bytes]:
    """NAL units (without start codes) of ``count`` H.265 pictures of a moving gradient."""
    ctx = av.CodecContext.create("libx265", "w")
    ctx.width, ctx.height, ctx.pix_fmt, ctx.time_base = size[0], size[1], "yuv420p", Fraction(1, 10)
    ctx.options = {"preset": "ultrafast", "x265-params": "log-level=none:keyint=10:repeat-headers=1"}
    data = b""
    for i in range(count):
        img = np.full((size[1], size[0], 3), (i * 5) % 255, np.uint8)
        frame = av.VideoFrame.from_ndarray(img, format="bgr24")
        frame.pts = i
        data += b"".join(bytes(p) for p in ctx.encode(frame))
    data += b"".join(bytes(p) for p in ctx.encode(None))
    units = [u.lstrip(b"\x00") for u in data.split(b"\x00\x00\x01")]
    return [u for u in units if u]


SDP = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
       "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:track1\r\n")


class BadRtspCamera:
    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._units = h265_units() if mode == "mislabelled" else []
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> BadRtspCamera:
        self._thread.start()
        self._ready.wait(5)
        return self

    def stop(self) -> None:
        async def shut() -> None:
            self._server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._loop.stop()

        asyncio.run_coroutine_threadsafe(shut(), self._loop)
        self._thread.join(5)

    def url(self, path: str = "cam", credentials: str = "") -> str:
        return f"rtsp://{credentials}127.0.0.1:{self.port}/{path}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        self._server = self._loop.run_until_complete(asyncio.start_server(self._serve, sock=sock))
        self._ready.set()
        self._loop.run_forever()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if self.mode == "garbage":
                await reader.read(1024)
                writer.write(os.urandom(4096) + b"\r\n\r\n")
                await writer.drain()
                await asyncio.sleep(1)
                return
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method = lines[0].split(" ")[0]
                cseq = next((ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("cseq")), "1")
                if self.mode == "auth":
                    writer.write(f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n"
                                 'WWW-Authenticate: Basic realm="camera"\r\n\r\n'.encode())
                elif method == "OPTIONS":
                    writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nPublic: OPTIONS, DESCRIBE, SETUP, PLAY, "
                                 "TEARDOWN\r\n\r\n".encode())
                elif method == "DESCRIBE":
                    writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nContent-Type: application/sdp\r\n"
                                 f"Content-Length: {len(SDP)}\r\n\r\n{SDP}".encode())
                elif method == "SETUP":
                    writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 12345678\r\n"
                                 "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\n\r\n".encode())
                elif method == "PLAY":
                    writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 12345678\r\n\r\n".encode())
                    await writer.drain()
                    await self._stream(writer)
                    return
                else:
                    writer.write(f"RTSP/1.0 200 OK\r\nCSeq: {cseq}\r\nSession: 12345678\r\n\r\n".encode())
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        seq, ts = 0, 0
        for _ in range(100):  # 10 s of pictures, then the camera stops as a broken one would
            for unit in self._units:
                rtp = struct.pack("!BBHII", 0x80, 0x80 | 96, seq & 0xFFFF, ts, 0x1234) + unit
                writer.write(b"$" + bytes([0]) + struct.pack("!H", len(rtp)) + rtp)
                seq += 1
                if unit[0] >> 1 & 0x3F < 32:  # a picture's slice: next timestamp
                    ts += 9000
                    await writer.drain()
                    await asyncio.sleep(0.1)
