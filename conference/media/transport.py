"""Where a participant's packets enter and leave its worker.

`FastPath` hands over every decrypted SRTP/SRTCP datagram of the participant's (bundled) ICE
transport. RTP goes to the `UpTrack` it belongs to - found by SSRC, or for an SSRC the SDP did
not announce by the mid header extension (RFC 8843) - after unwrapping retransmissions (RFC 4588
RTX). RTCP from the participant is feedback about what it receives (receiver reports, NACK,
PLI/FIR, REMB: to the `DownTrack` concerned) and sender reports about what it publishes (to the
`UpTrack`). Once a second `periodic_rtcp` sends SRs for the DownTracks, RRs for the UpTracks
and one REMB for the whole transport. `link_stats` reports the link's figures.
"""

from __future__ import annotations

import contextlib
import logging

from aiortc.rtcdtlstransport import RTCDtlsTransport
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_PSFB_FIR,
    RTCP_PSFB_PLI,
    RTCP_RTPFB_NACK,
    RtcpPacket,
    RtcpPsfbPacket,
    RtcpRrPacket,
    RtcpRtpfbPacket,
    RtcpSrPacket,
    pack_remb_fci,
    unpack_remb_fci,
)

from .downtrack import DownTrack
from .fastpath import FastPath
from .history import unwrap_rtx
from .messages import LinkSample
from .rtp import RtpParseError, RtpView, parse_rtp
from .uptrack import UpTrack

logger = logging.getLogger(__name__)


class Transport:
    def __init__(self, participant_id: str, dtls: RTCDtlsTransport) -> None:
        self.participant_id = participant_id
        self.fastpath = FastPath(dtls, self._on_rtp, self._on_rtcp)
        # Packets out: the fast path's own bound methods, so that sending is one call.
        self.send_rtp = self.fastpath.send_rtp
        self.send_rtcp = self.fastpath.send_rtcp
        self.uptracks: list[UpTrack] = []
        self.downtracks: list[DownTrack] = []
        self._by_ssrc: dict[int, tuple[UpTrack, bool]] = {}  # -> (track, is RTX)
        self._by_mid: dict[str, UpTrack] = {}
        self._downtracks_by_ssrc: dict[int, DownTrack] = {}
        self._mid_extension = 0
        self._rtx_apt: dict[int, int] = {}  # RTX payload type -> the payload type it repairs
        self._errors = 0
        self.remb_bitrate: int | None = None  # the participant's own estimate of its downlink

    # -- what the negotiation found ---------------------------------------------------------------

    def add_uptrack(self, track: UpTrack, mid: str, mid_extension: int, rtx_payload_types: dict[int, int]) -> None:
        self.uptracks.append(track)
        self._by_mid[mid] = track
        self._mid_extension = self._mid_extension or mid_extension
        self._rtx_apt.update(rtx_payload_types)
        if track.ssrc is not None:
            self._by_ssrc[track.ssrc] = (track, False)
        if track.rtx_ssrc is not None:
            self._by_ssrc[track.rtx_ssrc] = (track, True)

    def add_downtrack(self, downtrack: DownTrack) -> None:
        self.downtracks.append(downtrack)
        self._downtracks_by_ssrc[downtrack.params.ssrc] = downtrack

    # -- packets in ---------------------------------------------------------------------------------

    def _on_rtp(self, data: bytes) -> None:
        try:
            packet = parse_rtp(data)
        except RtpParseError:
            self._errors += 1
            return
        entry = self._by_ssrc.get(packet.ssrc)
        if entry is None:
            entry = self._learn_ssrc(packet)
            if entry is None:
                return
        track, rtx = entry
        if rtx:
            try:
                packet.sequence_number, packet.payload = unwrap_rtx(packet.payload)
            except ValueError:
                return
            packet.payload_type = self._rtx_apt.get(packet.payload_type, packet.payload_type)
            packet.ssrc = track.ssrc or packet.ssrc
        try:
            track.receive(packet)
        except Exception:
            self._errors += 1
            if self._errors < 5:
                logger.exception("relay failed on a packet from %s", self.participant_id)

    def _learn_ssrc(self, packet: RtpView) -> tuple[UpTrack, bool] | None:
        """An SSRC the SDP did not announce: identify the track by its mid header extension."""
        if not self._mid_extension:
            return None
        raw = packet.extensions.get(self._mid_extension)
        track = self._by_mid.get(raw.decode(errors="replace")) if raw else None
        if track is None:
            return None
        rtx = packet.payload_type in self._rtx_apt
        if rtx:
            track.rtx_ssrc = packet.ssrc
        else:
            track.ssrc = packet.ssrc
        self._by_ssrc[packet.ssrc] = (track, rtx)
        return track, rtx

    def _on_rtcp(self, data: bytes) -> None:
        try:
            packets = RtcpPacket.parse(data)
        except ValueError:
            return
        downtracks = self._downtracks_by_ssrc
        for packet in packets:
            if isinstance(packet, (RtcpRrPacket, RtcpSrPacket)):
                for report in packet.reports:
                    downtrack = downtracks.get(report.ssrc)
                    if downtrack is not None:
                        downtrack.on_receiver_report(report.fraction_lost, report.jitter, report.lsr, report.dlsr)
                if isinstance(packet, RtcpSrPacket):
                    entry = self._by_ssrc.get(packet.ssrc)
                    if entry is not None:
                        entry[0].on_sender_report(packet.sender_info.ntp_timestamp,
                                                  packet.sender_info.rtp_timestamp)
            elif isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                downtrack = downtracks.get(packet.media_ssrc)
                if downtrack is not None:
                    downtrack.on_nack(packet.lost)
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt in (RTCP_PSFB_PLI, RTCP_PSFB_FIR):
                downtrack = downtracks.get(packet.media_ssrc)
                if downtrack is None and packet.fmt == RTCP_PSFB_FIR:  # FIR names the SSRC in its FCI
                    downtrack = next((d for d in self.downtracks if d.params.kind == "video"), None)
                if downtrack is not None:
                    downtrack.on_keyframe_request()
            elif isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                with contextlib.suppress(ValueError):
                    self.remb_bitrate = unpack_remb_fci(packet.fci)[0]

    # -- reports out --------------------------------------------------------------------------------

    def periodic_rtcp(self) -> None:
        """Sender reports for each DownTrack, receiver reports and REMB for the UpTracks."""
        if not self.fastpath.connected:
            return
        send = self.fastpath.send_rtcp
        for downtrack in self.downtracks:
            report = downtrack.sender_report()
            if report is not None:
                send(report)
        for track in self.uptracks:
            report = track.receiver_report()
            if report is not None:
                send(report)
        estimate = remb(self.uptracks[0].rtcp_ssrc, self.uptracks) if self.uptracks else None
        if estimate is not None:
            send(estimate)

    def link_stats(self, state: str) -> LinkSample:
        fp = self.fastpath
        downtracks, uptracks = self.downtracks, self.uptracks
        rtts = [d.rtt for d in downtracks if d.rtt is not None]
        up_lost = sum(t.stats.lost for t in uptracks)
        up_expected = sum(t.stats.expected for t in uptracks)
        return LinkSample(
            participant=self.participant_id,
            state=state,
            bytes_in=fp.bytes_received,
            bytes_out=fp.bytes_sent,
            packets_in=fp.packets_received,
            packets_out=fp.packets_sent,
            loss_in_pct=round(100.0 * up_lost / up_expected, 2) if up_expected else 0.0,
            loss_out_pct=round(max((d.remote_fraction_lost for d in downtracks), default=0) * 100 / 256, 2),
            jitter_in_ms=round(max((t.stats.jitter * 1000 / t.clock_rate for t in uptracks), default=0.0), 2),
            jitter_out_ms=round(max((d.remote_jitter * 1000 / d.params.clock_rate for d in downtracks),
                                    default=0.0), 2),
            rtt_ms=round(1000 * sum(rtts) / len(rtts), 1) if rtts else None,
            retransmitted=sum(d.retransmitted for d in downtracks),
            remb_bps=self.remb_bitrate,
        )

    def close(self) -> None:
        self.fastpath.connected = False


def remb(rtcp_ssrc: int, tracks: list[UpTrack]) -> bytes | None:
    """One REMB for a publisher's whole transport (REMB is a per-transport estimate, not per
    track): the sum of what the relay takes of each of its video tracks."""
    video = [t for t in tracks if t.kind == "video" and t.ssrc is not None and t.max_bitrate]
    if not video:
        return None
    return bytes(RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0,
                                fci=pack_remb_fci(sum(t.max_bitrate for t in video), [t.ssrc for t in video])))
