"""The signing service's ASGI application: CSC API v1, the PKI endpoints and the admin unlock call."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from core.db import engine_for, session_factory
from signing.api.routes import admin as admin_api
from signing.api.routes import csc as csc_api
from signing.api.routes import pki as pki_api
from signing.ca import ensure_ca
from signing.config import SigningConfig, service_url
from signing.errors import CSCError, csc_error_handler, validation_error_handler
from signing.ratelimit import RateLimiter
from signing.store_registry import KeyStores

logger = logging.getLogger(__name__)
MAX_BODY = 1 << 20


def create_app(settings: Any, config: SigningConfig | None = None) -> FastAPI:
    """Build the service for `settings` (database, var dir, secret, public URL); creates the CA if needed."""
    config = config or SigningConfig()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        app.state.stores.close()

    app = FastAPI(title="giaoban signing service (CSC API v1)", lifespan=lifespan, docs_url=None,
                  redoc_url=None, openapi_url=None)
    engine = engine_for(settings.database_url)
    app.state.settings = settings
    app.state.config = config
    app.state.ca = ensure_ca(settings)
    if app.state.ca.base_url != service_url(settings):
        # Certificates carry the OCSP/CRL/CA addresses of the URL the CA was created for.
        logger.warning("the provincial CA was created for %s but the service is configured as %s: validators "
                       "will look for OCSP/CRL at the former", app.state.ca.base_url, service_url(settings))
    app.state.sessions = session_factory(engine, write=True)
    app.state.read_sessions = session_factory(engine)
    app.state.stores = KeyStores(settings, config)
    app.state.per_person = RateLimiter(config.requests_per_minute)
    app.state.anonymous_failures = RateLimiter(config.anonymous_per_minute)
    app.add_exception_handler(CSCError, csc_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.include_router(csc_api.router)
    app.include_router(pki_api.router)
    app.include_router(admin_api.router)

    @app.middleware("http")
    async def limit_body(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        # CSC requests are small JSON documents; refuse big bodies before reading them.
        if int(request.headers.get("content-length") or 0) > MAX_BODY:
            return JSONResponse({"error": "invalid_request", "error_description":
                                 f"request body larger than {MAX_BODY} bytes"}, status_code=413)
        return await call_next(request)

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
