"""H.264 access units as a camera's RTSP stream delivers them, made ready to forward to a browser.

A camera announces its SPS and PPS in the RTSP session's SDP (``sprop-parameter-sets``, which
FFmpeg hands over as the stream's extradata) and often never repeats them in the stream. A
browser that joins mid-stream needs them right before the IDR picture it starts from, so every
IDR access unit leaves here preceded by the latest SPS and PPS, whether they came in-band or
only in the extradata. Nothing is decoded: NAL unit headers are read, that is all.

The profile the camera really sends is read from its SPS (``profile-level-id`` as SDP writes
it): what the wall negotiates with the browser is constrained baseline 42e01f, and a camera
whose SPS says otherwise is reported (see the README, "Camera wall over WebRTC").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

NAL_IDR = 5
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
START = b"\x00\x00\x00\x01"
PROFILES = {66: "baseline", 77: "main", 88: "extended", 100: "high", 110: "high 10", 122: "high 4:2:2",
            244: "high 4:4:4"}


def nal_units(data: bytes) -> Iterator[bytes]:
    """The NAL units of an Annex B byte stream (start codes removed)."""
    i = data.find(b"\x00\x00\x01")
    while i != -1:
        start = i + 3
        nxt = data.find(b"\x00\x00\x01", start)
        end = len(data) if nxt == -1 else (nxt - 1 if data[nxt - 1] == 0 else nxt)
        if end > start:
            yield data[start:end]
        i = nxt


def _avcc_parameter_sets(extradata: bytes) -> list[bytes]:
    """SPS and PPS out of an ISO/IEC 14496-15 avcC record (MP4 files; RTSP gives Annex B)."""
    units: list[bytes] = []
    pos = 5
    try:
        for mask in (0x1F, 0xFF):  # number of SPS, then of PPS
            count = extradata[pos] & mask
            pos += 1
            for _ in range(count):
                size = int.from_bytes(extradata[pos:pos + 2], "big")
                units.append(extradata[pos + 2:pos + 2 + size])
                pos += 2 + size
    except IndexError:
        pass
    return [u for u in units if u]


def parameter_sets(extradata: bytes | None) -> list[bytes]:
    if not extradata:
        return []
    if extradata[0] == 1:
        return _avcc_parameter_sets(extradata)
    return list(nal_units(extradata))


@dataclass(frozen=True)
class Profile:
    profile_idc: int
    constraints: int
    level_idc: int

    @property
    def profile_level_id(self) -> str:
        return f"{self.profile_idc:02x}{self.constraints:02x}{self.level_idc:02x}"

    @property
    def name(self) -> str:
        if self.profile_idc == 66 and self.constraints & 0x40:
            return "constrained baseline"
        return PROFILES.get(self.profile_idc, f"profile {self.profile_idc}")

    @property
    def browser_safe(self) -> bool:
        """Constrained baseline: what the wall negotiates, decoded by every browser, hardware or not."""
        return self.profile_idc == 66 and bool(self.constraints & 0x40)


def profile_of(sps: bytes) -> Profile | None:
    if len(sps) < 4 or sps[0] & 0x1F != NAL_SPS:
        return None
    return Profile(sps[1], sps[2], sps[3])


class AccessUnits:
    """Prepares one stream's access units for forwarding (one instance per camera connection)."""

    def __init__(self, extradata: bytes | None = None) -> None:
        self.sps: bytes | None = None
        self.pps: bytes | None = None
        self.profile: Profile | None = None
        self.started = False  # an IDR went out: what comes after it can be decoded
        self.inserted = 0  # IDRs that went out with parameter sets taken from earlier units
        for unit in parameter_sets(extradata):
            self._learn(unit)

    def _learn(self, unit: bytes) -> None:
        kind = unit[0] & 0x1F
        if kind == NAL_SPS:
            self.sps = unit
            self.profile = profile_of(unit) or self.profile
        elif kind == NAL_PPS:
            self.pps = unit

    def prepare(self, data: bytes) -> bytes | None:
        """The access unit as an Annex B byte stream to forward, or None while there is nothing a
        receiver could decode yet (pictures before the first IDR, or no SPS/PPS known)."""
        units = list(nal_units(data))
        kinds = {u[0] & 0x1F for u in units}
        for unit in units:
            self._learn(unit)
        if NAL_IDR in kinds:
            if self.sps is None or self.pps is None:
                return None
            if not {NAL_SPS, NAL_PPS} <= kinds:
                rest = [u for u in units if u[0] & 0x1F not in (NAL_SPS, NAL_PPS)]
                lead = 1 if rest and rest[0][0] & 0x1F == NAL_AUD else 0  # an access unit delimiter stays first
                units = rest[:lead] + [self.sps, self.pps] + rest[lead:]
                self.inserted += 1
            self.started = True
        elif not self.started:
            return None
        return b"".join(START + u for u in units)
