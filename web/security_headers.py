"""Headers every answer carries so that browsers hold the pages to what they are: a Content-Security-Policy
(scripts and connections only from this site, no framing), `X-Frame-Options`, `nosniff` and a
`Referrer-Policy`; and the `Secure` flag on cookies whenever the request came over HTTPS (seen directly, or
through a proxy listed in `GIAOBAN_FORWARDED_ALLOW_IPS`), or always / never (`GIAOBAN_COOKIE_SECURE`)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Styles: the pages carry a few inline style attributes; style injection is far less potent than script.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "media-src 'self' blob:; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
FIXED = [(b"x-frame-options", b"DENY"), (b"x-content-type-options", b"nosniff"),
         (b"referrer-policy", b"same-origin"), (b"cross-origin-opener-policy", b"same-origin")]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, cookie_secure: str = "auto") -> None:
        self.app = app
        self.cookie_secure = cookie_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"host"), "")
        # WebSockets to this very host (browsers older than CSP 3 do not count ws: as 'self').
        sockets = f" ws://{host} wss://{host}" if host and all(c not in host for c in " ;,'\"") else ""
        policy = f"{CSP}; connect-src 'self'{sockets}".encode()
        secure = self.cookie_secure == "always" or (self.cookie_secure == "auto" and scope.get("scheme") == "https")

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                present = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", policy))
                headers += [(k, v) for k, v in FIXED if k not in present]
                if secure:
                    headers = [(k, _secure(v) if k.lower() == b"set-cookie" else v) for k, v in headers]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


def _secure(cookie: bytes) -> bytes:
    return cookie if b"; secure" in cookie.lower() else cookie + b"; Secure"
