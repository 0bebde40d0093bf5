"""Process-wide adjustments to aiortc made by media workers and load clients.

- Negotiate abs-capture-time, which the relay carries unchanged so that receivers can measure
  the delay from the publisher across the relay.
- Count every frame aiortc decodes or encodes in this process: the relay must stay at zero, and
  the benchmark reports these counters rather than assuming it.
"""

from __future__ import annotations

import threading

import aiortc.codecs as aiortc_codecs
import aiortc.rtcrtpreceiver as aiortc_receiver
import aiortc.rtcrtpsender as aiortc_sender
from aiortc.rtcrtpparameters import RTCRtpHeaderExtensionParameters

from .rtp import URI_ABS_CAPTURE_TIME

# aiortc uses ids 1-3; BUNDLE shares the id space between audio and video.
ABS_CAPTURE_TIME_ID = 5

_lock = threading.Lock()
_counts = {"decoded_frames": 0, "encoded_frames": 0}
_installed = False


class _CountingDecoder:
    def __init__(self, inner: object) -> None:
        self._inner = inner

    def decode(self, encoded_frame: object) -> list:
        frames = self._inner.decode(encoded_frame)
        with _lock:
            _counts["decoded_frames"] += len(frames)
        return frames


class _CountingEncoder:
    def __init__(self, inner: object) -> None:
        self._inner = inner

    def encode(self, frame: object, force_keyframe: bool = False) -> tuple:
        result = self._inner.encode(frame, force_keyframe)
        with _lock:
            _counts["encoded_frames"] += 1
        return result

    def pack(self, packet: object) -> tuple:
        return self._inner.pack(packet)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: object) -> None:
        if name == "_inner":
            object.__setattr__(self, name, value)
        else:
            setattr(self._inner, name, value)


def install() -> None:
    global _installed
    if _installed:
        return
    _installed = True
    for kind in ("audio", "video"):
        extensions = aiortc_codecs.HEADER_EXTENSIONS[kind]
        if not any(ext.uri == URI_ABS_CAPTURE_TIME for ext in extensions):
            extensions.append(RTCRtpHeaderExtensionParameters(id=ABS_CAPTURE_TIME_ID, uri=URI_ABS_CAPTURE_TIME))
    original_decoder = aiortc_receiver.get_decoder
    original_encoder = aiortc_sender.get_encoder
    aiortc_receiver.get_decoder = lambda codec: _CountingDecoder(original_decoder(codec))
    aiortc_sender.get_encoder = lambda codec: _CountingEncoder(original_encoder(codec))


def codec_counts() -> dict[str, int]:
    with _lock:
        return dict(_counts)
