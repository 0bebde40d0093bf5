"""Checking a client's SDP offer before it reaches a media worker, and folding trickled ICE
candidates into it (the media workers take complete offers)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from aiortc.sdp import SessionDescription

_LINE = re.compile(r"^[a-z]=.*$")
VIDEO_CODECS = {"vp8": "VP8", "h264": "H264"}


class OfferProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class OfferSummary:
    published: list[str]  # kinds of the sendonly/sendrecv m-lines, in order
    received: dict[str, int]  # recvonly m-lines per kind


def check_offer(sdp: str, video_codec: str, *, sharing: bool = False) -> OfferSummary:
    """Raise `OfferProblem` with code `bad_sdp` or `no_supported_codec`; return what the offer carries.
    `sharing`: the participant shares a screen (`share`), a third published video."""
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0":
        raise OfferProblem("bad_sdp", "SDP phải bắt đầu bằng 'v=0' / an SDP offer starts with 'v=0'")
    bad = next((i for i, line in enumerate(lines) if not _LINE.match(line)), None)
    if bad is not None:
        raise OfferProblem("bad_sdp", f"SDP dòng {bad + 1} sai cú pháp / SDP line {bad + 1} is not 'x=value': "
                                      f"{lines[bad][:60]!r}")
    try:
        parsed = SessionDescription.parse("\r\n".join(lines) + "\r\n")
    except Exception as exc:  # the parser raises ValueError, KeyError, IndexError ... on hostile input
        raise OfferProblem("bad_sdp", f"SDP không đọc được / the SDP does not parse: {exc!r}"[:300]) from exc
    if not parsed.media:
        raise OfferProblem("bad_sdp", "SDP không có m-line nào / the offer has no audio or video m-line")
    published: list[str] = []
    received = {"audio": 0, "video": 0}
    wanted = {"audio": "OPUS", "video": VIDEO_CODECS[video_codec]}
    for index, media in enumerate(parsed.media):
        if media.kind not in wanted:
            raise OfferProblem("bad_sdp", f"m-line {index}: chỉ nhận audio/video / only audio and video "
                                          f"m-lines are accepted, not {media.kind!r}")
        ice = media.ice or parsed.ice
        if ice is None or not ice.usernameFragment or not ice.password or not (media.dtls or parsed.dtls):
            raise OfferProblem("bad_sdp", f"m-line {index}: thiếu ice-ufrag/ice-pwd/fingerprint / "
                                          "missing ICE credentials or DTLS fingerprint")
        names = {codec.mimeType.split("/")[-1].upper() for codec in media.rtp.codecs}
        if wanted[media.kind] not in names:
            offered = ", ".join(sorted(names)) or "none"
            raise OfferProblem("no_supported_codec", f"m-line {index} ({media.kind}): cuộc họp dùng "
                                                     f"{wanted[media.kind]}, offer chỉ có {offered} / this meeting "
                                                     f"relays {wanted[media.kind]}; the offer has {offered}")
        if media.direction in ("sendonly", "sendrecv"):
            published.append(media.kind)
        elif media.direction == "recvonly":
            received[media.kind] += 1
    if published.count("video") > 2 + sharing or published.count("audio") > 1:
        raise OfferProblem("bad_sdp", "tối đa 1 audio và 2 video gửi đi (3 khi trình chiếu) / publish at most one "
                                      "audio and two video tracks (high, low), and a screen while sharing")
    return OfferSummary(published, received)


def add_candidates(sdp: str, candidates: list[tuple[str, str | None, int | None]]) -> str:
    """Insert trickled `a=candidate` lines into their m-sections (by mid, else index) and mark the end."""
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    starts = [i for i, line in enumerate(lines) if line.startswith("m=")]
    if not starts:
        return sdp
    sections = [lines[:starts[0]]] + [lines[s:e] for s, e in zip(starts, [*starts[1:], len(lines)], strict=True)]
    mids = {}
    for index, section in enumerate(sections[1:]):
        for line in section:
            if line.startswith("a=mid:"):
                mids[line[6:].strip()] = index
    for candidate, mid, mline in candidates:
        index = mids.get(mid) if mid is not None else None
        if index is None:
            index = mline if mline is not None and mline < len(starts) else 0
        text = candidate.strip()
        text = text[2:] if text.startswith("a=") else text
        if not text.startswith("candidate:"):
            continue
        section = sections[index + 1]
        if f"a={text}" not in section:
            section.append(f"a={text}")
    for section in sections[1:]:
        if "a=end-of-candidates" not in section:
            section.append("a=end-of-candidates")
    return "\r\n".join(line for section in sections for line in section) + "\r\n"
