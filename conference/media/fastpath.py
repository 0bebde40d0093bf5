"""Synchronous SRTP send and receive on an aiortc DTLS transport, once DTLS is up.

aiortc hands every datagram through an asyncio queue and three coroutines before it reaches
`RTCRtpReceiver`, and sends through three more. For a relay that is most of the cost of a
packet, so once the DTLS handshake has produced SRTP keys this module takes the SRTP/SRTCP
datagrams straight from the ICE sockets' datagram protocols, decrypts them with the
transport's own libsrtp sessions and calls the relay; sends encrypt and write to the currently
nominated pair's socket. DTLS, STUN (consent, keepalives) and all else still go through aiortc.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pylibsrtp
from aiortc.rtcdtlstransport import RTCDtlsTransport

logger = logging.getLogger(__name__)


class FastPath:
    """Binds to `dtls` when it reaches "connected"; `on_rtp`/`on_rtcp` get decrypted packets."""

    def __init__(
        self,
        dtls: RTCDtlsTransport,
        on_rtp: Callable[[bytes], None],
        on_rtcp: Callable[[bytes], None],
        on_state: Callable[[str], None] | None = None,
    ) -> None:
        self._dtls = dtls
        self._on_rtp = on_rtp
        self._on_rtcp = on_rtcp
        self._on_state = on_state
        self._nominated: dict = {}
        self._tx: pylibsrtp.Session | None = None
        self._rx: pylibsrtp.Session | None = None
        self.connected = False
        self.srtp_errors = 0
        self.packets_sent = 0
        self.bytes_sent = 0
        self.packets_received = 0
        self.bytes_received = 0
        dtls.on("statechange", self._state_changed)
        if dtls.state == "connected":
            self._bind()

    def _state_changed(self) -> None:
        state = self._dtls.state
        if state == "connected" and not self.connected:
            self._bind()
        elif state in ("closed", "failed"):
            self.connected = False
        if self._on_state is not None:
            self._on_state(state)

    def _bind(self) -> None:
        connection = self._dtls.transport._connection
        if connection._nominated.get(1) is None:
            logger.warning("DTLS connected without a nominated ICE pair")
            return
        self._nominated = connection._nominated
        self._tx = self._dtls._tx_srtp
        self._rx = self._dtls._rx_srtp
        # Every local candidate's socket, not only the nominated pair's: the controlling side may
        # nominate another pair later (say IPv6 after IPv4), and media then arrives there.
        for protocol in connection._protocols:
            self._hook(protocol)
        self.connected = True

    def _hook(self, protocol) -> None:
        original = protocol.datagram_received
        receive = self._receive

        def datagram_received(data: bytes, addr: tuple) -> None:
            # 128..191 is RTP/RTCP (RFC 7983); STUN and DTLS keep aiortc's path.
            if data and 127 < data[0] < 192:
                receive(data)
            else:
                original(data, addr)

        protocol.datagram_received = datagram_received

    def _receive(self, data: bytes) -> None:
        self.packets_received += 1
        self.bytes_received += len(data)
        try:
            if 192 <= data[1] <= 208:
                self._on_rtcp(self._rx.unprotect_rtcp(data))
            else:
                self._on_rtp(self._rx.unprotect(data))
        except pylibsrtp.Error:
            self.srtp_errors += 1

    def send_rtp(self, packet: bytes) -> None:
        if self.connected:
            pair = self._nominated.get(1)  # looked up each time: nomination can move
            if pair is None:  # the ICE connection closed
                return
            data = self._tx.protect(packet)
            pair.protocol.transport.sendto(data, pair.remote_addr)
            self.packets_sent += 1
            self.bytes_sent += len(data)

    def send_rtcp(self, packet: bytes) -> None:
        if self.connected:
            try:
                data = self._tx.protect_rtcp(packet)
            except pylibsrtp.Error:
                self.srtp_errors += 1
                return
            pair = self._nominated.get(1)
            if pair is not None:
                pair.protocol.transport.sendto(data, pair.remote_addr)
