"""Shared fixtures: a freshly migrated and seeded database per test (SQLite always, PostgreSQL too
when GIAOBAN_TEST_DATABASE_URL is set), the app on it, logged-in clients, a live server and Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from core.db import engine_for, session_factory, session_scope
from core.migrate import upgrade
from core.province import ensure_people, ensure_units, load_config
from core.settings import Settings, get_settings
from web import areas

DEMO_PASSWORD = "giaoban-demo"
PG_URL = os.environ.get("GIAOBAN_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
CHROMIUM = os.environ.get("GIAOBAN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def _migrate_and_seed(url: str, unit_set: str = "districts") -> None:
    upgrade(url, areas.version_dirs())
    factory = session_factory(engine_for(url), write=True)
    with session_scope(factory) as session:
        config = load_config(unit_set=unit_set)
        ensure_people(session, config, ensure_units(session, config), DEMO_PASSWORD)
    engine_for(url).dispose()


def _pg_admin():  # type: ignore[no-untyped-def]
    return create_engine(PG_URL, isolation_level="AUTOCOMMIT")


def _build_templates(tmp_path_factory: pytest.TempPathFactory, unit_set: str) -> Iterator[dict[str, str]]:
    made: dict[str, str] = {}
    sqlite_file = tmp_path_factory.mktemp("tpl") / "template.db"
    _migrate_and_seed(f"sqlite:///{sqlite_file}", unit_set)
    made["sqlite"] = str(sqlite_file)
    if PG_URL:
        name = f"giaoban_tpl_{uuid.uuid4().hex[:10]}"
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        _migrate_and_seed(make_url(PG_URL).set(database=name).render_as_string(hide_password=False), unit_set)
        made["postgresql"] = name
    yield made
    if PG_URL:
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{made["postgresql"]}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def _templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """One migrated, seeded database per backend; each test gets a copy (argon2 seeding is slow)."""
    yield from _build_templates(tmp_path_factory, "districts")


@pytest.fixture(scope="session")
def _communes_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The same seeded with the communes unit set (130 communes and wards, no district level)."""
    yield from _build_templates(tmp_path_factory, "communes")


@pytest.fixture
def unit_set() -> str:
    """The unit set of the test's database and settings; a test module overrides this fixture to run on the
    communes set (GIAOBAN_UNIT_SET=communes)."""
    return "districts"


@contextmanager
def database_copy(backend: str, templates: dict[str, str], tmp: Path, prefix: str = "giaoban_t") -> Iterator[str]:
    """A private copy of the migrated, seeded template database of `backend`, dropped afterwards."""
    if backend == "sqlite":
        target = tmp / "giaoban.db"
        shutil.copy(templates["sqlite"], target)
        url = f"sqlite:///{target}"
        try:
            yield url
        finally:
            engine_for(url).dispose()
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with _pg_admin().connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{templates["postgresql"]}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for(url).dispose()
        with _pg_admin().connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, unit_set: str, tmp_path: Path) -> Iterator[str]:
    templates = request.getfixturevalue("_templates" if unit_set == "districts" else "_communes_templates")
    with database_copy(request.param, templates, tmp_path) as url:
        yield url


@pytest.fixture
def settings(db_url: str, unit_set: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """Settings seen by everything in the process (get_settings included) for this test."""
    monkeypatch.setenv("GIAOBAN_DATABASE_URL", db_url)
    monkeypatch.setenv("GIAOBAN_UNIT_SET", unit_set)
    monkeypatch.setenv("GIAOBAN_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("GIAOBAN_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)
    monkeypatch.setenv("GIAOBAN_START_DEMO_CAMERAS", "false")
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


@pytest.fixture
def session(settings: Settings) -> Iterator[Session]:
    with session_factory(engine_for(settings.database_url))() as s:
        yield s


@pytest.fixture
def app(settings: Settings):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return create_app(settings)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def login(client, username: str, password: str = DEMO_PASSWORD) -> dict:  # type: ignore[no-untyped-def]
    """Log the client in (cookie); returns the login answer with its bearer token."""
    response = client.post("/api/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def auth_headers(client, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """Bearer headers for `username`, leaving the client's cookie jar as it was."""
    saved = dict(client.cookies)
    token = login(client, username, password)["access_token"]
    client.cookies.clear()
    for name, value in saved.items():
        client.cookies.set(name, value)
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(name="login")
def login_fixture():  # type: ignore[no-untyped-def]
    return login


@pytest.fixture(name="auth_headers")
def auth_headers_fixture():  # type: ignore[no-untyped-def]
    return auth_headers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve_in_thread(app: Any, port: int | None = None, timeout: float = 15, **config: Any) -> Iterator[str]:
    """Run `app` with uvicorn on a loopback port in a thread; yields its base URL, stops it afterwards."""
    import uvicorn

    port = port or free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", **config))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError(f"server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app served by uvicorn on a loopback port, for browsers and real WebSocket/HTTP clients."""
    with serve_in_thread(app, ws="websockets-sansio") as url:
        yield url


@pytest.fixture(scope="module")
def chromium():  # type: ignore[no-untyped-def]
    # Module scope: Playwright's sync API keeps an event loop running in the main thread while it is
    # open, which would break every later asyncio test in the session.
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser_page(chromium, live_server: str):  # type: ignore[no-untyped-def]
    # bypass_csp: Playwright's wait_for_function evaluates strings, which the pages' CSP forbids;
    # tests/security/test_browser_policy.py checks the pages under the policy itself.
    context = chromium.new_context(base_url=live_server, locale="vi-VN", bypass_csp=True)
    page = context.new_page()
    yield page
    context.close()
