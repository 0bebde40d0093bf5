"""Text with NUL characters is refused before any handler sees it: PostgreSQL cannot store them (the
insert fails with a server error), and nothing a person types contains one. Checked in the path, every
query parameter, JSON bodies and form-encoded bodies; the 422 names the field. (Multipart uploads carry
files, checked by documents.filecheck; their few text fields are short and validated by their routes.)"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

MAX_CHECKED_BODY = 8 * 1024 * 1024  # JSON and form bodies are small; larger ones are refused (413)


def _nul_path(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _nul_path(key, path) or _nul_path(item, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _nul_path(item, f"{path}.{index}" if path else str(index))
            if found is not None:
                return found
    return None


async def _answer(send: Send, status: int, detail: str, fields: list[str]) -> None:
    body = json.dumps({"detail": detail, "fields": fields}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})


def _refusal(field: str) -> str:
    return (f"{field}: không được chứa ký tự NUL (\\u0000) / must not contain the NUL character (\\u0000)")


class RefuseNul:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        found = "path" if "\x00" in scope["path"] else None
        if found is None:
            query = scope.get("query_string", b"").decode("latin-1")
            found = next((name or "query" for name, value in parse_qsl(query, keep_blank_values=True)
                          if "\x00" in name or "\x00" in value), None)
        if found is None and scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            headers = {k.lower(): v for k, v in scope.get("headers", [])}
            ctype = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
            if ctype == b"application/json" or ctype.endswith(b"+json") or \
                    ctype == b"application/x-www-form-urlencoded":
                body, complete = await _read(receive)
                if not complete:
                    await _answer(send, 413, "Nội dung yêu cầu quá lớn / the request body is larger than "
                                             f"{MAX_CHECKED_BODY // (1024 * 1024)} MB", [])
                    return
                found = _in_body(ctype, body)
                receive = _replay(body, receive)
        if found is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008, "reason": "NUL in the request"})
                return
            await _answer(send, 422, _refusal(found), [found])
            return
        await self.app(scope, receive, send)


async def _read(receive: Receive) -> tuple[bytes, bool]:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks), True
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_CHECKED_BODY:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _in_body(ctype: bytes, body: bytes) -> str | None:
    if ctype == b"application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("latin-1"), keep_blank_values=True)
        return next((name or "body" for name, value in pairs if "\x00" in name or "\x00" in value), None)
    if b"\\u0000" not in body:  # JSON can carry NUL only escaped; a raw NUL byte is not JSON at all
        return None
    try:
        return _nul_path(json.loads(body), "")
    except ValueError:
        return None  # malformed JSON gets its own 422 from the route's validation


def _replay(body: bytes, original: Receive) -> Receive:
    """The body once more for the app; afterwards the client's own messages (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive
