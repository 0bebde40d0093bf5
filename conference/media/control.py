"""The worker's end of the control channel: a Unix socket (`placement.control_path`) where
`MediaClient`s send `messages.Request` lines and read `Reply` and `Event` lines.

Each request is answered on its own task (an offer waiting for its answer does not hold up a
mute), by the `ControlHandler` (the worker). A `MediaError` becomes an error reply with its code;
a request that does not parse gets MALFORMED_REQUEST, a failure of the worker INTERNAL.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

from .errors import MediaError, MediaErrorCode
from .messages import Call, ErrorInfo, Reply, decode_request, encode_line

logger = logging.getLogger(__name__)


class ControlHandler(Protocol):
    async def call(self, call: Call) -> Any:
        """The result of `call` (a model, a list of models or None); raises `MediaError`."""


class ControlServer:
    def __init__(self, path: Path, handler: ControlHandler) -> None:
        self.path = path
        self._handler = handler
        self._clients: set[asyncio.StreamWriter] = set()
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)
        self._server = await asyncio.start_unix_server(self._serve_client, path=str(self.path), limit=1 << 22)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()

    def emit(self, event: BaseModel) -> None:
        """Push an event to every connected client."""
        line = encode_line(event)
        for writer in list(self._clients):
            if writer.is_closing():
                self._clients.discard(writer)
                continue
            writer.write(line)

    async def _serve_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._clients.add(writer)
        try:
            while line := await reader.readline():
                task = asyncio.ensure_future(self._answer(line, writer))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._clients.discard(writer)
            writer.close()

    async def _answer(self, line: bytes, writer: asyncio.StreamWriter) -> None:
        request_id = None
        try:
            request = decode_request(line)
            request_id = request.id
            reply = Reply(id=request_id, ok=True, result=await self._handler.call(request.call))
        except MediaError as exc:
            reply = _error(request_id, exc.code, exc.message)
        except ValidationError as exc:
            reply = _error(_id_of(line), MediaErrorCode.MALFORMED_REQUEST, f"malformed request: {exc}"[:500])
        except Exception as exc:
            logger.exception("control request failed")
            reply = _error(request_id, MediaErrorCode.INTERNAL, f"internal error: {type(exc).__name__}")
        if not writer.is_closing():
            writer.write(encode_line(reply))


def _error(request_id: int | None, code: MediaErrorCode, message: str) -> Reply:
    return Reply(id=request_id, ok=False, error=ErrorInfo(code=code, message=message))


def _id_of(line: bytes) -> int | None:
    """The id of a request that did not validate, so that its caller gets the refusal."""
    with contextlib.suppress(ValueError, AttributeError):
        request_id = json.loads(line).get("id")
        if isinstance(request_id, int):
            return request_id
    return None
