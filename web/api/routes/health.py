"""The one unauthenticated status route, for load balancers and `make run`'s readiness check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

router = APIRouter()


@router.get("/api/health", tags=["health"])
def health(request: Request) -> JSONResponse:
    try:
        with request.app.state.sessionmaker() as session:
            session.execute(text("SELECT 1"))
        database = "ok"
    except Exception as exc:  # any driver error means "unreachable" to the caller
        database = f"unreachable: {type(exc).__name__}"
    status = "ok" if database == "ok" else "degraded"
    return JSONResponse({"status": status, "database": database}, status_code=200 if status == "ok" else 503)
