"""Error answers a person can act on: validation problems name the field, nothing leaks a traceback."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, WebSocket, WebSocketException
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.websockets import WebSocketState

log = logging.getLogger("giaoban.web")


def _describe(error: dict) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header", "cookie")]
    field = ".".join(loc)
    if error.get("type") == "json_invalid":
        return f"Nội dung JSON không hợp lệ / the request body is not valid JSON ({error.get('msg', '')})"
    return f"{field or 'body'}: {error.get('msg', 'invalid')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(WebSocketException)
    async def websocket_refused(websocket: WebSocket, exc: WebSocketException) -> None:
        # Accept first: a socket closed during the handshake reaches the client as HTTP 403, not as the
        # documented close code (4401 not logged in, 4403 role not allowed).
        if websocket.client_state == WebSocketState.CONNECTING:
            await websocket.accept()
        await websocket.close(code=exc.code, reason=exc.reason or "")

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        return JSONResponse(
            status_code=422,
            content={"detail": jsonable_encoder(errors, exclude={"input", "ctx", "url"}),
                     "message": "; ".join(_describe(e) for e in errors),
                     "fields": [".".join(str(p) for p in e.get("loc", ())[1:]) for e in errors]},
        )

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "Lỗi hệ thống / internal error; it has been logged"})
