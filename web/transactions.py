"""Commit a request's database sessions before its response starts: a 2xx/3xx means the write is stored,
and a commit that fails turns into an error answer instead of a silent loss."""

from __future__ import annotations

import json
import logging

import anyio
from sqlalchemy.exc import IntegrityError, OperationalError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("giaoban.web")


class CommitBeforeResponse:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_after_commit(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start" and not started:
                started = True
                sessions = scope.get("state", {}).get("db_sessions", [])
                if sessions:
                    failure = await anyio.to_thread.run_sync(_finish, sessions, message["status"] < 400)
                    if failure is not None:
                        await _refuse(send, *failure)
                        raise _Abandoned
            await send(message)

        try:
            await self.app(scope, receive, send_after_commit)
        except _Abandoned:
            return


class _Abandoned(Exception):
    """The answer was replaced because the commit failed; the original body must not follow."""


def _finish(sessions: list, success: bool) -> tuple[int, str] | None:  # type: ignore[type-arg]
    for session in sessions:
        try:
            if success:
                session.commit()
            else:
                session.rollback()
        except IntegrityError:
            log.warning("commit refused by a constraint", exc_info=True)
            session.rollback()
            return 409, "Dữ liệu xung đột, vui lòng thử lại / conflicting change, please retry"
        except OperationalError:
            log.exception("commit failed")
            session.rollback()
            return 503, "Cơ sở dữ liệu đang bận, vui lòng thử lại / database busy, please retry"
    return None


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}, ensure_ascii=False).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json; charset=utf-8")]})
    await send({"type": "http.response.body", "body": body})
