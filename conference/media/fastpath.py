"""Synchronous SRTP send and receive on an aiortc DTLS transport, once DTLS is up.

aiortc hands every datagram through an asyncio queue and three coroutines before it reaches
`RTCRtpReceiver`, and sends through three more. For a relay that is most of the cost of a
packet, so once the DTLS handshake has produced SRTP keys this module takes the SRTP/SRTCP
datagrams straight from the ICE sockets' datagram protocols, decrypts them with the
transport's own libsrtp sessions and calls the relay; sends encrypt and write to the currently
nominated pair's socket. DTLS, STUN (consent, keepalives) and all else still go through aiortc.

Per packet this is one libsrtp call through `SrtpCodec` (pylibsrtp's own C binding, called
without the per-call checks and allocations of `pylibsrtp.Session`) and one `sendto` on the
event loop's transport, whose address is looked up once per nomination, not per packet.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pylibsrtp
from aiortc.rtcdtlstransport import RTCDtlsTransport

logger = logging.getLogger(__name__)

try:  # pylibsrtp's cffi binding: the same C functions `Session` calls
    from pylibsrtp._binding import ffi as _ffi
    from pylibsrtp._binding import lib as _lib
except ImportError:  # pragma: no cover - another pylibsrtp layout: `SrtpCodec` uses `Session`
    _ffi = _lib = None

_ERRORS = dict(enumerate(getattr(pylibsrtp, "ERRORS", [])))


class SrtpCodec:
    """protect/unprotect (and their RTCP forms) on one `pylibsrtp.Session`, as bound callables.

    `pylibsrtp.Session.protect` checks the argument's type, allocates a length cell and looks up
    the C function on every call; here each callable holds its C function, the session's context
    and buffer, and one length cell. Errors raise `pylibsrtp.Error` as the session's own methods
    do. Falls back to the session's methods when pylibsrtp's internals are not as expected."""

    __slots__ = ("protect", "unprotect", "protect_rtcp", "unprotect_rtcp")

    def __init__(self, session: pylibsrtp.Session) -> None:
        try:
            ctx = session._srtp[0]
            cdata = session._cdata
            buffer = session._buffer
            if _lib is None or len(cdata) < 1500:
                raise AttributeError("pylibsrtp binding not found")
        except (AttributeError, TypeError):
            self.protect, self.unprotect = session.protect, session.unprotect
            self.protect_rtcp, self.unprotect_rtcp = session.protect_rtcp, session.unprotect_rtcp
            return
        size = len(cdata)
        self.protect = _call(session, _lib.srtp_protect, ctx, cdata, buffer, size - pylibsrtp.SRTP_MAX_TRAILER_LEN)
        self.unprotect = _call(session, _lib.srtp_unprotect, ctx, cdata, buffer, size)
        self.protect_rtcp = _call(session, _lib.srtp_protect_rtcp, ctx, cdata, buffer,
                                  size - pylibsrtp.SRTP_MAX_SRTCP_TRAILER_LEN)
        self.unprotect_rtcp = _call(session, _lib.srtp_unprotect_rtcp, ctx, cdata, buffer, size)


def _call(session: pylibsrtp.Session, func, ctx, cdata, buffer, limit: int) -> Callable[[bytes], bytes]:
    length = _ffi.new("int *")

    def process(data: bytes, session=session) -> bytes:  # the default keeps the session alive
        n = len(data)
        if n > limit:
            raise pylibsrtp.Error("packet is too long")
        buffer[0:n] = data
        length[0] = n
        status = func(ctx, cdata, length)
        if status:
            raise pylibsrtp.Error(_ERRORS.get(status, f"libsrtp error {status}"))
        return buffer[0 : length[0]]

    return process


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
        self._pair = None  # the nominated pair `_sendto` and `_addr` were taken from
        self._sendto: Callable[[bytes, tuple], None] | None = None
        self._addr: tuple | None = None
        self._tx: SrtpCodec | None = None
        self._rx: SrtpCodec | None = None
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
        self._tx = SrtpCodec(self._dtls._tx_srtp)
        self._rx = SrtpCodec(self._dtls._rx_srtp)
        # Every local candidate's socket, not only the nominated pair's: the controlling side may
        # nominate another pair later (say IPv6 after IPv4), and media then arrives there.
        for protocol in connection._protocols:
            self._hook(protocol)
        self.connected = True

    def _hook(self, protocol) -> None:
        original = protocol.datagram_received
        unprotect = self._rx.unprotect
        unprotect_rtcp = self._rx.unprotect_rtcp
        on_rtp = self._on_rtp
        on_rtcp = self._on_rtcp
        srtp_error = pylibsrtp.Error

        def datagram_received(data: bytes, addr: tuple) -> None:
            # 128..191 is RTP/RTCP (RFC 7983); STUN and DTLS keep aiortc's path.
            if data and 127 < data[0] < 192:
                self.packets_received += 1
                self.bytes_received += len(data)
                try:
                    if 192 <= data[1] <= 208:
                        plain = unprotect_rtcp(data)
                        rtcp = True
                    else:
                        plain = unprotect(data)
                        rtcp = False
                except srtp_error:
                    self.srtp_errors += 1
                    return
                except IndexError:  # a single byte
                    return
                if rtcp:
                    on_rtcp(plain)
                else:
                    on_rtp(plain)
            else:
                original(data, addr)

        protocol.datagram_received = datagram_received

    def _target(self) -> bool:
        """Take the nominated pair's socket and remote address; False when there is none."""
        pair = self._nominated.get(1)
        if pair is None:  # the ICE connection closed
            return False
        transport = pair.protocol.transport
        if transport is None:
            return False
        self._pair = pair
        self._sendto = transport.sendto
        self._addr = pair.remote_addr
        return True

    def send_rtp(self, packet: bytes) -> None:
        if self.connected:
            # The nominated pair is looked up each time (nomination can move); its socket and
            # address only when it changed.
            if self._nominated.get(1) is not self._pair and not self._target():
                return
            data = self._tx.protect(packet)
            self._sendto(data, self._addr)
            self.packets_sent += 1
            self.bytes_sent += len(data)

    def send_rtcp(self, packet: bytes) -> None:
        if self.connected:
            try:
                data = self._tx.protect_rtcp(packet)
            except pylibsrtp.Error:
                self.srtp_errors += 1
                return
            if self._nominated.get(1) is not self._pair and not self._target():
                return
            self._sendto(data, self._addr)
