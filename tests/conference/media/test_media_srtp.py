"""The fast path's libsrtp calls encrypt and decrypt exactly as pylibsrtp's own Session does."""

from __future__ import annotations

import os

import pylibsrtp
import pytest

from conference.media.fastpath import SrtpCodec
from conference.media.rtp import build_rtp


def _sessions(key: bytes) -> tuple[pylibsrtp.Session, pylibsrtp.Session]:
    profile = pylibsrtp.Policy.SRTP_PROFILE_AEAD_AES_128_GCM
    return tuple(pylibsrtp.Session(pylibsrtp.Policy(key=key, ssrc_type=direction, srtp_profile=profile))
                 for direction in (pylibsrtp.Policy.SSRC_ANY_OUTBOUND, pylibsrtp.Policy.SSRC_ANY_INBOUND))


def test_packets_protected_by_the_codec_are_those_the_session_makes_and_come_back_intact() -> None:
    key = os.urandom(28)
    ours_out, ours_in = (SrtpCodec(s) for s in _sessions(key))
    theirs_out, theirs_in = _sessions(key)
    packets = [build_rtp(96, i % 2, i, i * 3000, 0x1234, os.urandom(size)) for i, size in enumerate((1, 200, 1200))]
    for packet in packets:
        protected = ours_out.protect(packet)
        assert protected == theirs_out.protect(packet)
        assert ours_in.unprotect(protected) == packet
    rtcp = bytes([0x81, 201, 0, 7]) + (0x1234).to_bytes(4, "big") + bytes(24)  # a receiver report
    assert ours_in.unprotect_rtcp(theirs_out.protect_rtcp(rtcp)) == rtcp
    assert theirs_in.unprotect_rtcp(ours_out.protect_rtcp(rtcp)) == rtcp


def test_a_forged_or_replayed_packet_is_refused_with_pylibsrtp_error() -> None:
    sender, receiver = (SrtpCodec(s) for s in _sessions(os.urandom(28)))
    protected = sender.protect(build_rtp(96, 1, 7, 21000, 0x1234, b"payload"))
    forged = protected[:-1] + bytes([protected[-1] ^ 1])
    with pytest.raises(pylibsrtp.Error):
        receiver.unprotect(forged)
    receiver.unprotect(protected)
    with pytest.raises(pylibsrtp.Error):
        receiver.unprotect(protected)  # replay
    with pytest.raises(pylibsrtp.Error):
        sender.protect(bytes(1500))  # no room left for the authentication tag
