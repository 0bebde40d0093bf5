"""H.264 in MPEG-TS, encoded frame by frame, for synthetic cameras that stream like most real ones.

Each encoded frame comes out as a chunk of transport stream that can be sent as
is over HTTP; SPS/PPS and the TS tables are repeated so that a viewer joining
mid-stream can start at the next keyframe, as with a camera.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np


class _Sink:
    """A write-only file object that hands out what was written since the last call."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


class H264TransportEncoder:
    def __init__(self, width: int, height: int, fps: float, keyframe_s: float = 1.0) -> None:
        self.sink = _Sink()
        self.container = av.open(self.sink, "w", format="mpegts",
                                 options={"mpegts_flags": "resend_headers", "pat_period": "0.5"})
        rate = Fraction(fps).limit_denominator(1000)
        self.stream = self.container.add_stream("libx264", rate=rate)
        self.stream.width, self.stream.height, self.stream.pix_fmt = width, height, "yuv420p"
        gop = max(1, round(fps * keyframe_s))
        self.stream.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "26",
                               "threads": "1", "x264-params": f"keyint={gop}:min-keyint={gop}:repeat-headers=1"}
        self.size = (width, height)
        self._pts = 0

    def encode(self, bgr: np.ndarray) -> bytes:
        frame = av.VideoFrame.from_ndarray(bgr, format="bgr24")
        frame.pts = self._pts
        self._pts += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)
        return self.sink.take()

    def close(self) -> None:
        try:
            for packet in self.stream.encode(None):
                self.container.mux(packet)
            self.container.close()
        except (av.FFmpegError, ValueError):
            pass
