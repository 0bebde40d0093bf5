"""Authentication for every request and WebSocket: a session cookie (pages) or a bearer token (API
clients; web-audience tokens only) resolves to the person in `request.state.user`. Anything not
explicitly public is refused here, before routing, so a route that forgets its role check still cannot
be reached anonymously. Tokens are never taken from the URL (it is written to access logs); a WebSocket
without a login is accepted and closed with 4401, so that clients see the documented close code."""

from __future__ import annotations

import json
from urllib.parse import quote

import anyio
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Receive, Scope, Send

from core.login_sessions import Audience, user_for_token
from core.people import User

COOKIE = "giaoban_session"
PUBLIC_EXACT = frozenset({"/api/health", "/login", "/api/auth/login", "/favicon.ico"})
PUBLIC_PREFIXES = ("/static/",)


def is_public(path: str) -> bool:
    return path in PUBLIC_EXACT or path.startswith(PUBLIC_PREFIXES)


def token_from(scope: Scope) -> str | None:
    headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
    auth = headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    for part in headers.get("cookie", "").split(";"):
        name, _, value = part.strip().partition("=")
        if name == COOKIE and value:
            return value
    return None


class AuthMiddleware:
    def __init__(self, app: ASGIApp, factory: sessionmaker[Session]) -> None:
        self.app = app
        self.factory = factory

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        token = token_from(scope)
        user = await anyio.to_thread.run_sync(self._lookup, token) if token else None
        state = scope.setdefault("state", {})
        state["user"] = user
        if user is None and not is_public(scope["path"]):
            await self._refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _lookup(self, token: str) -> User | None:
        with self.factory() as session:
            return user_for_token(session, token, audience=Audience.web)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Closing before the handshake would answer HTTP 403, which clients cannot tell from a wrong role.
            if (await receive())["type"] == "websocket.connect":
                await send({"type": "websocket.accept"})
                await send({"type": "websocket.close", "code": 4401, "reason": "login required"})
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        wants_page = scope["method"] == "GET" and "text/html" in headers.get("accept", "")
        if wants_page:
            target = scope["path"] + ("?" + scope["query_string"].decode() if scope.get("query_string") else "")
            await send({"type": "http.response.start", "status": 303,
                        "headers": [(b"location", f"/login?next={quote(target)}".encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        body = json.dumps({"detail": "Cần đăng nhập / login required"}, ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 401,
                    "headers": [(b"content-type", b"application/json; charset=utf-8"),
                                (b"www-authenticate", b"Bearer")]})
        await send({"type": "http.response.body", "body": body})
