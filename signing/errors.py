"""CSC-style errors: a 4xx status with {"error": ..., "error_description": ..., "reason": ...}; `reason`
(core.protocols.csc.CSCReason) is what clients act on, the description is for people."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.protocols.csc import CSCReason


class CSCError(Exception):
    def __init__(self, status: int, error: str, description: str, headers: dict[str, str] | None = None,
                 reason: CSCReason = CSCReason.invalid_request) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description
        self.headers = headers or {}
        # The machine-readable cause, sent to the client and recorded in the audit log.
        self.reason = reason


def bad_request(description: str, reason: CSCReason = CSCReason.invalid_request) -> CSCError:
    return CSCError(400, "invalid_request", description, reason=reason)


async def csc_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CSCError)
    return JSONResponse({"error": exc.error, "error_description": exc.description, "reason": exc.reason.value},
                        status_code=exc.status, headers=exc.headers)


async def validation_error_handler(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
        problems.append(f"{where or 'body'}: {err.get('msg', 'invalid')}")
    return JSONResponse({"error": "invalid_request", "error_description": "; ".join(problems),
                         "reason": CSCReason.invalid_request.value},
                        status_code=400)
