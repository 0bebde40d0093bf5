"""One real signing service and one web app for all minutes tests (per database backend), sharing
one database: the secretary's, the chair's and the organisation's credentials enrolled, conference
records connected as the source of drafts, and a helper that runs a whole (short) meeting through the
conference's own functions. Each test makes its own meeting and minutes."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from core.people import Role, User
from core.province import create_user
from core.settings import Settings, get_settings
from documents.minutes import record_source
from tests.conftest import BACKENDS, DEMO_PASSWORD, database_copy, free_port, login, serve_in_thread

PIN = "135792"
SECOND_SECRETARY = "thuky2"


@dataclass
class MinutesEnv:
    settings: Settings
    signing_url: str
    signing_app: Any
    root_pem: Path
    app: Any
    credentials: dict[str, str] = field(default_factory=dict)
    environ: dict[str, str] = field(default_factory=dict)

    def client(self, username: str) -> TestClient:
        client = TestClient(self.app)
        login(client, username)
        return client

    def sessions(self):  # type: ignore[no-untyped-def]
        return session_factory(engine_for(self.settings.database_url), write=True)


def ended_meeting(env: MinutesEnv, *, secretary: str = "thuky", title: str = "Giao ban trực tuyến tháng 11") -> int:
    """A meeting run through conference's scheduling and journal: of four invited districts three connect
    (one drops and comes back), two people speak, the chair mutes an endpoint, then the meeting ends."""
    from conference import journal, scheduling

    start = datetime.now(UTC) - timedelta(hours=2)
    with session_scope(env.sessions()) as session:
        users = {u.username: u for u in session.execute(select(User)).scalars()}
        body = scheduling.MeetingIn(
            title=title, place="Hội trường tầng 2, trụ sở UBND tỉnh", scheduled_at=start, chair="chutoa",
            secretary=secretary, invited=["dc-vinh", "dc-cualo", "dc-hoangmai", "dc-thaihoa"],
            agenda=[scheduling.AgendaItemIn(title="Tình hình kinh tế - xã hội", presenter="Sở Kế hoạch và Đầu tư"),
                    scheduling.AgendaItemIn(title="Phòng, chống thiên tai")])
        meeting = scheduling.schedule(session, body, users["chutoa"])
        scheduling.start(session, meeting, users["chutoa"])
        meeting.started_at = start
        for i, name in enumerate(("dc-vinh", "dc-cualo", "dc-hoangmai")):
            row = journal.open_attendance(session, meeting_id=meeting.id, user_id=users[name].id,
                                          unit_id=users[name].unit_id, participant=name,
                                          role="district", at=start + timedelta(minutes=i))
            if name == "dc-cualo":
                journal.close_attendance(session, row.id, start + timedelta(minutes=30), "disconnected")
                journal.open_attendance(session, meeting_id=meeting.id, user_id=users[name].id,
                                        unit_id=users[name].unit_id, participant=name,
                                        role="district", at=start + timedelta(minutes=33))
        journal.speaker_changed(session, meeting_id=meeting.id, participant="chutoa", user_id=users["chutoa"].id,
                                at=start + timedelta(minutes=2))
        journal.speaker_changed(session, meeting_id=meeting.id, participant="dc-vinh", user_id=users["dc-vinh"].id,
                                at=start + timedelta(minutes=12))
        journal.stop_speaking(session, meeting_id=meeting.id, at=start + timedelta(minutes=17, seconds=30))
        journal.add_action(session, meeting_id=meeting.id, actor="chutoa", actor_role="chair", action="mute",
                           target="dc-hoangmai", at=start + timedelta(minutes=20))
        scheduling.end(session, meeting, users["chutoa"])
        return meeting.id


def build_environment(backend: str, templates: dict[str, str], tmp: Path,
                      ca_url: str | None = None) -> tuple[MinutesEnv, Callable[[], None]]:
    """Database copy, CA, enrolled credentials, the signing service on a loopback port and the web app.
    `ca_url` is written into the certificates as where OCSP/CRL live (default: the service itself)."""
    from signing.app import create_app as signing_app
    from signing.ca import root_pem
    from signing.config import SigningConfig
    from signing.enrollment import enroll, enroll_unit
    from web.app import create_app

    resources = ExitStack()
    url = resources.enter_context(database_copy(backend, templates, tmp, prefix="giaoban_min"))
    port = free_port()
    environ = {"GIAOBAN_DATABASE_URL": url, "GIAOBAN_VAR_DIR": str(tmp / "var"),
               "GIAOBAN_SECRET_KEY": "test-secret-" + uuid.uuid4().hex, "GIAOBAN_SIGNING_PORT": str(port),
               "GIAOBAN_START_DEMO_CAMERAS": "false"}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in environ.items():
            mp.setenv(name, value)
        if ca_url:
            mp.setenv("GIAOBAN_SIGNING_URL", ca_url)
        get_settings.cache_clear()
        settings = get_settings()
        root = tmp / "root.pem"
        root.write_bytes(root_pem(settings))
        factory = session_factory(engine_for(settings.database_url), write=True)
        credentials = {}
        with session_scope(factory) as session:
            office = session.execute(select(User).where(User.username == "thuky")).scalar_one().unit
            create_user(session, username=SECOND_SECRETARY, role=Role.secretary, password=DEMO_PASSWORD,
                        full_name="Võ Thị Giang", position="Chuyên viên Văn phòng UBND tỉnh", unit=office)
            for username, key in (("thuky", "rsa-2048"), ("chutoa", "ec-p256"), (SECOND_SECRETARY, "rsa-2048")):
                credentials[username] = enroll(session, settings, username, PIN, key_spec=key).credential_id
            credentials["organisation"] = enroll_unit(session, settings, "000.00.00.H41", PIN).credential_id
        service = signing_app(settings, SigningConfig())
        resources.enter_context(serve_in_thread(service, port, timeout=20))
        env = MinutesEnv(settings, f"http://127.0.0.1:{port}", service, root, create_app(settings), credentials,
                         environ)
    get_settings.cache_clear()

    return env, resources.close


@pytest.fixture(scope="session", params=BACKENDS)
def minutes_service(request: pytest.FixtureRequest, _templates: dict[str, str],
                    tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinutesEnv]:
    """Built once per backend. Its environment variables are applied only while a minutes test runs
    (see `minutes_env`), so nothing leaks into other areas' tests."""
    env, cleanup = build_environment(request.param, _templates, tmp_path_factory.mktemp("minutes"))
    try:
        yield env
    finally:
        cleanup()


@pytest.fixture
def minutes_env(minutes_service: MinutesEnv, monkeypatch: pytest.MonkeyPatch) -> Iterator[MinutesEnv]:
    """The shared service, with its settings and the conference records connected for this test."""
    from conference.record import meeting_record

    for name, value in minutes_service.environ.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    record_source.connect(meeting_record)
    try:
        yield minutes_service
    finally:
        record_source.connect(None)
        get_settings.cache_clear()


def run_async(coroutine: Any) -> Any:
    """Run a coroutine on a fresh loop in another thread: Playwright's sync API may own this thread's loop."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()
