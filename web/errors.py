"""Error answers a person can act on, in one shape (`ErrorAnswer`) whatever refused the request: `detail` is
always a sentence (Vietnamese / English) naming what to change; validation problems also list the
`fields` and the individual `errors`. Nothing leaks a traceback.

Refusals of the domain (core.errors.DomainError and the areas' subclasses) carry a kind, not an HTTP
status: `STATUS` below is the one place that turns a kind into a status, and a refusal is answered exactly
as an HTTPException of that status would be (`{"detail": message}`). To add a refusal, raise a DomainError
subclass with a kind from the areas' service code; routes need no try/except for it. To add a kind, add it to
core.errors.Kind and here (tests/web/test_error_kinds.py fails on a kind without a status)."""

from __future__ import annotations

import inspect
import logging

from fastapi import FastAPI, HTTPException, Request, WebSocket, WebSocketException
from fastapi.encoders import jsonable_encoder
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.websockets import WebSocketState

from core.errors import DomainError, Kind
from core.i18n import language_of, one_language, register
from core.pages import render

log = logging.getLogger("giaoban.web")
register({
    "refused.403": ("Bạn không có quyền mở trang này", "You may not open this page"),
    "refused.404": ("Không tìm thấy trang này", "This page was not found"),
    "refused.409": ("Trang này không mở được lúc này", "This page cannot be opened now"),
    "refused.other": ("Không mở được trang này", "This page could not be opened"),
    "refused.home": ("Về trang chủ", "Back to the home page"),
    "refused.hint": ("Các trang bạn được mở nằm trên thanh menu phía trên. Nếu bạn cần quyền này, hãy liên hệ "
                     "quản trị hệ thống.",
                     "The pages you may open are in the menu above. If you need this access, ask an "
                     "administrator."),
})

# The HTTP status of each kind of domain refusal.
STATUS: dict[Kind, int] = {
    Kind.bad_request: 400,
    Kind.not_allowed: 403,
    Kind.not_found: 404,
    Kind.conflict: 409,
    Kind.too_large: 413,
    Kind.unsupported_type: 415,
    Kind.invalid: 422,
    Kind.locked: 423,
    Kind.too_many: 429,
    Kind.upstream_failed: 502,
    Kind.unavailable: 503,
}


def as_http(error: DomainError) -> HTTPException:
    return HTTPException(STATUS[error.kind], error.message)


class FieldError(BaseModel):
    loc: list[str | int] = Field(description="where: body/query/path, then the field's path")
    msg: str
    type: str


class ErrorAnswer(BaseModel):
    """Every 4xx/5xx answer of the API."""

    detail: str = Field(description="what went wrong and what to do, Vietnamese / English")
    message: str | None = Field(default=None, description="the same sentence (validation answers)")
    fields: list[str] = Field(default_factory=list, description="the fields at fault, dotted paths")
    errors: list[FieldError] = Field(default_factory=list, description="each validation problem")


def _describe(error: dict) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header", "cookie")]
    field = ".".join(loc)
    if error.get("type") == "json_invalid":
        return f"Nội dung JSON không hợp lệ / the request body is not valid JSON ({error.get('msg', '')})"
    return f"{field or 'body'}: {error.get('msg', 'invalid')}"


def wants_page(request: Request) -> bool:
    """A person's browser opening a page (as web.authn decides for its login redirect), not an API call:
    API routes, fetches and other clients keep their JSON answers."""
    return (request.method == "GET" and not request.url.path.startswith("/api/")
            and "text/html" in request.headers.get("accept", ""))


PAGE_TITLES = {403: "refused.403", 404: "refused.404", 409: "refused.409"}


def refused_page(request: Request, status: int, detail: str) -> Response:
    """The refusal as a page inside the shell, in the person's language."""
    lang = language_of(request)
    return render(request, "web/refused.html", {
        "status": status, "title_key": PAGE_TITLES.get(status, "refused.other"),
        "reason": one_language(detail, lang)}, status_code=status)


def install(app: FastAPI) -> None:
    @app.exception_handler(WebSocketException)
    async def websocket_refused(websocket: WebSocket, exc: WebSocketException) -> None:
        # Accept first: a socket closed during the handshake reaches the client as HTTP 403, not as the
        # documented close code (4401 not logged in, 4403 role not allowed).
        if websocket.client_state == WebSocketState.CONNECTING:
            await websocket.accept()
        await websocket.close(code=exc.code, reason=exc.reason or "")

    @app.exception_handler(DomainError)
    async def domain_refusal(request: Request, exc: DomainError) -> Response:
        # Answered by whatever answers HTTPExceptions, so a refusal looks the same however it was raised.
        answer = app.exception_handlers.get(StarletteHTTPException, http_exception_handler)
        response = answer(request, as_http(exc))
        return await response if inspect.isawaitable(response) else response  # type: ignore[no-any-return]

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        message = "; ".join(_describe(e) for e in errors)
        items = [{"loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
                  "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))} for e in errors]
        return JSONResponse(
            status_code=422,
            content={"detail": message, "message": message, "errors": jsonable_encoder(items),
                     "fields": [".".join(str(p) for p in e.get("loc", ())[1:]) for e in errors]},
        )

    @app.exception_handler(StarletteHTTPException)
    async def refused(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=getattr(exc, "headers", None))
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if wants_page(request):
            return refused_page(request, exc.status_code, detail)
        return JSONResponse(status_code=exc.status_code, content={"detail": detail},
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(OperationalError)
    async def busy(request: Request, exc: OperationalError) -> JSONResponse:
        # The database could not be reached or stayed locked past its busy timeout: retryable, not a bug.
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, exc.orig)
        return JSONResponse(status_code=503, headers={"Retry-After": "2"}, content={
            "detail": "Cơ sở dữ liệu đang bận, vui lòng thử lại / database busy, please retry"})

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(status_code=500, content={"detail": "Lỗi hệ thống / internal error; it has been logged"})
