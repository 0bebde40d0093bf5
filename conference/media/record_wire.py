"""What a media worker and its recorder process say over their SOCK_SEQPACKET socket pair.

Worker to recorder: `b"J"` + a JSON control message (a segment opens or ends, a sender report,
a room's recording ends) or `b"B"` + a batch of packets, each a fixed header and its payload.
Recorder to worker: `KEYFRAME` + a 4-byte sink key (ask that track's publisher for a keyframe),
`STOPPED` + JSON {room, reason} (that room's recording stopped: low disk)."""

from __future__ import annotations

import json
import struct
from collections.abc import Iterator
from typing import Any

PACKET = struct.Struct("!IHIBBdH")  # key, sequence number, timestamp, marker, keyframe, arrival, length
KEYFRAME = b"K"
STOPPED = b"S"
BATCH = b"B"
MAX_BATCH_BYTES = 60_000  # well under the socket's send buffer, so one batch always fits an empty one
MAX_BATCH_PARTS = 1001  # the batch's parts, gathered by one sendmsg: within the kernel's IOV_MAX (1024)


def encode_message(message: dict[str, Any]) -> bytes:
    return b"J" + json.dumps(message, separators=(",", ":")).encode()


def decode_message(data: bytes) -> dict[str, Any]:
    message = json.loads(data[1:])
    if not isinstance(message, dict) or "op" not in message:
        raise ValueError("recorder control message without op")
    return message


def encode_packet(key: int, seq: int, ts: int, marker: int, keyframe: bool, arrival: float, payload: bytes) -> bytes:
    return PACKET.pack(key, seq, ts, marker, keyframe, arrival, len(payload)) + payload


def decode_batch(data: bytes) -> Iterator[tuple[int, int, int, int, int, float, bytes]]:
    pos, n, size = 1, len(data), PACKET.size
    while pos + size <= n:
        key, seq, ts, marker, keyframe, arrival, length = PACKET.unpack_from(data, pos)
        pos += size
        yield key, seq, ts, marker, keyframe, arrival, data[pos:pos + length]
        pos += length
