"""The FastAPI application factory: one app with every package's router behind authentication."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from core import pages, record_access
from core.db import engine_for, session_factory
from core.settings import Settings, get_settings
from web import areas, errors, openapi, wiring
from web import pages as web_pages
from web.api.routes import audit, health, login, units, users
from web.authn import AuthMiddleware
from web.nul_guard import RefuseNul
from web.origin_check import OriginCheck
from web.security_headers import SecurityHeaders
from web.transactions import CommitBeforeResponse


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Each area's background work in the web process (`<area>.lifespan.lifespan(app)`), started and stopped
    with the app."""
    async with AsyncExitStack() as stack:
        for _area, module in areas.area_modules("lifespan"):
            await stack.enter_async_context(module.lifespan(app))
        yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    record_access.check_granted_roles(settings.record_reader_roles)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = FastAPI(title="giaoban", version="0.1.0", docs_url=None, redoc_url=None, openapi_url=None,
                  description="Họp trực tuyến, Trung tâm điều hành và biên bản ký số của tỉnh.",
                  lifespan=_lifespan)
    engine = engine_for(settings.database_url)
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = session_factory(engine)
    app.state.write_sessionmaker = session_factory(engine, write=True)
    pages.configure(areas.template_packages())

    # Each area's API (`<area>.api`) and HTML pages (`<area>.pages`).
    area_routers = [module.router for suffix in ("api", "pages") for _, module in areas.area_modules(suffix)]
    for router in (health.router, login.router, web_pages.router, units.router, users.router, audit.router,
                   *area_routers):
        app.include_router(router)
    for name, static in areas.static_dirs().items():
        app.mount(f"/static/{name}", StaticFiles(directory=static), name=f"static-{name}")
    errors.install(app)
    openapi.install(app)
    wiring.connect(app)
    app.add_middleware(CommitBeforeResponse)
    app.add_middleware(AuthMiddleware, factory=app.state.sessionmaker)
    app.add_middleware(RefuseNul)
    app.add_middleware(OriginCheck, trusted_origins=settings.trusted_origins)
    app.add_middleware(SecurityHeaders, cookie_secure=settings.cookie_secure)  # outermost: on every answer
    return app


def factory() -> FastAPI:
    """Entry point for uvicorn's `--factory`."""
    return create_app()
