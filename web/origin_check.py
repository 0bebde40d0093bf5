"""Cross-site request forgery: a page on another site must not make a logged-in browser act here. Every
request that changes something (POST, PUT, PATCH, DELETE) and is authenticated by the session cookie, every
login form post and every WebSocket handshake carrying the cookie must come from this site: its `Origin`
(or, without one, its `Referer`) must name this host, or one of `GIAOBAN_TRUSTED_ORIGINS`. Browsers always
send `Origin` on such requests; programs using a bearer token are not affected (a foreign page cannot set
that header). Refused with 403 (WebSockets: closed with 4403)."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Receive, Scope, Send

from web.authn import COOKIE

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATHS = frozenset({"/login", "/api/auth/login"})


def _netloc(url: str) -> str | None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return host if parts.port in (None, default) else f"{host}:{parts.port}"


def _own(host_header: str) -> str:
    host = host_header.strip().lower()
    for default in (":80", ":443"):
        if host.endswith(default):
            return host[: -len(default)]
    return host


class OriginCheck:
    def __init__(self, app: ASGIApp, trusted_origins: list[str] | None = None) -> None:
        self.app = app
        self.trusted = {n for n in (_netloc(o) for o in trusted_origins or []) if n}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and self._applies(scope):
            refusal = self._refusal(scope)
            if refusal is not None:
                if scope["type"] == "websocket":
                    # Accepted, then closed: closing during the handshake reaches the client as HTTP 403,
                    # not as the close code.
                    if (await receive())["type"] == "websocket.connect":
                        await send({"type": "websocket.accept"})
                        await send({"type": "websocket.close", "code": 4403, "reason": "cross-site request"})
                    return
                body = json.dumps({"detail": refusal}, ensure_ascii=False).encode()
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"application/json; charset=utf-8")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    @staticmethod
    def _applies(scope: Scope) -> bool:
        headers = _headers(scope)
        if scope["type"] == "http" and scope["method"] in SAFE_METHODS:
            return False
        if scope["type"] == "http" and scope["path"] in LOGIN_PATHS:
            return True  # login forgery: a foreign page logging the browser into someone else's account
        if headers.get("authorization", "").lower().startswith("bearer "):
            return False
        return any(part.strip().startswith(f"{COOKIE}=") for part in headers.get("cookie", "").split(";"))

    def _refusal(self, scope: Scope) -> str | None:
        headers = _headers(scope)
        own = _own(headers.get("host", ""))
        origin = headers.get("origin")
        if origin is None:
            if headers.get("sec-fetch-site") == "cross-site":
                return _message("(sec-fetch-site: cross-site)")
            referer = headers.get("referer")
            if referer is None:
                return None  # not a browser: browsers send Origin on every request this guards
            source = _netloc(referer)
            return None if source in (own, *self.trusted) else _message(f"(Referer {referer[:100]})")
        source = _netloc(origin)
        return None if source is not None and source in (own, *self.trusted) else _message(f"(Origin {origin[:100]})")


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}


def _message(source: str) -> str:
    return ("Yêu cầu gửi từ trang web khác bị từ chối / a request sent from another site was refused "
            f"{source}: open the page from this site and try again")
