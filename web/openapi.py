"""The OpenAPI schema at /openapi.json, made true: every operation lists the error answers it can give,
all in the one `ErrorAnswer` shape (web.errors), beside what each route declares itself (`responses=`).

Errors every operation can give come from machinery all routes share: 401 (not logged in) and 403 (role,
or a request from another site) from authentication and web.origin_check, 422 from validation and
web.nul_guard, 404 where the path names a row, and for writes 409 (a conflicting change) and 503 (database
busy) from web.transactions, 413 from body limits, 400 for a body that cannot be decoded. What only some
routes answer (415 on uploads, 423/429/502 when the signing service refuses) each route names as kinds
of refusal (core.refusal_answers.refusals), turned into statuses here."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from core.errors import Kind
from core.refusal_answers import KEY as REFUSALS
from web.authn import is_public
from web.errors import STATUS, ErrorAnswer

REASONS = {
    400: "Yêu cầu thiếu hoặc sai / the request is incomplete or wrong",
    401: "Cần đăng nhập / login required",
    403: "Không được phép (vai trò, đơn vị hoặc yêu cầu từ trang khác) / not allowed (role, unit or another site)",
    404: "Không có / no such thing, or not yours to see",
    409: "Xung đột với trạng thái hiện tại / conflicts with the current state",
    413: "Nội dung quá lớn / the body is too large",
    415: "Loại tệp không được chấp nhận / file type not accepted",
    422: "Dữ liệu không hợp lệ, nêu tên trường / invalid input, naming the field",
    423: "Tài khoản đang bị khóa / the account is locked",
    429: "Quá nhiều yêu cầu / too many requests",
    502: "Dịch vụ bên ngoài trả lời sai / an upstream service answered wrongly",
    503: "Tạm thời không phục vụ được, thử lại / temporarily unavailable, retry",
    504: "Dịch vụ bên ngoài không trả lời kịp / an upstream service timed out",
}
UNSAFE = frozenset({"post", "put", "patch", "delete"})
REF = {"$ref": "#/components/schemas/ErrorAnswer"}


def error_response(status: int) -> dict[str, Any]:
    return {"description": REASONS.get(status, "Lỗi / error"), "content": {"application/json": {"schema": REF}}}


def _shared(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {422}
    if not is_public(path):
        statuses |= {401, 403}
    elif method in UNSAFE:  # logging in: wrong password, inactive or locked account, throttled
        statuses |= {401, 403, 423, 429}
    if "{" in path:
        statuses.add(404)
    if method in UNSAFE:
        statuses |= {403, 409, 413, 503}
    if "requestBody" in operation:
        statuses.add(400)  # a body that cannot be decoded at all (not UTF-8, a broken multipart)
    return statuses


def install(app: FastAPI) -> None:
    def schema() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        components = spec.setdefault("components", {}).setdefault("schemas", {})
        answer = ErrorAnswer.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(answer.pop("$defs", {}))
        components["ErrorAnswer"] = answer
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        for path, item in spec.get("paths", {}).items():
            for method, operation in item.items():
                responses = operation.setdefault("responses", {})
                declared = {STATUS[Kind(kind)] for kind in operation.pop(REFUSALS, [])}
                declared |= {int(s) for s in responses if s.isdigit() and int(s) >= 400}
                for status in sorted(_shared(path, method, operation) | declared):
                    responses[str(status)] = error_response(status)
        app.openapi_schema = spec
        return spec

    app.openapi = schema  # type: ignore[method-assign]
