"""One real signing service per test module: a migrated, seeded database, the provincial CA, a
SoftHSM2 token, enrolled credentials, uvicorn on a loopback port."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI

from core.db import engine_for, session_factory, session_scope
from core.settings import Settings, get_settings
from signing.app import create_app
from signing.ca import root_pem
from signing.config import SigningConfig
from signing.enrollment import enroll, enroll_unit
from tests.conftest import BACKENDS, database_copy, free_port, serve_in_thread

PIN = "246810"
SAD_TTL = 3


@dataclass
class SigningEnv:
    base_url: str
    settings: Settings
    config: SigningConfig
    root_pem: Path
    credentials: dict[str, str] = field(default_factory=dict)
    otp_secret: str = ""


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A SoftHSM2 token for the whole session: the PKCS#11 library reads SOFTHSM2_CONF only once per
    process, so every test must share the same token directory."""
    directory = tmp_path_factory.mktemp("softhsm")
    tokens = directory / "tokens"
    tokens.mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {tokens}\nobjectstore.backend = file\nlog.level = ERROR\n")
    env = {"SOFTHSM2_CONF": str(conf), "GIAOBAN_SIGNING_PKCS11_TOKEN": "giaoban-test",
           "GIAOBAN_SIGNING_PKCS11_PIN": "135790"}
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", "giaoban-test", "--pin", "135790",
                        "--so-pin", "97531"], check=True, capture_output=True)
        yield env


@pytest.fixture(scope="module", params=BACKENDS)
def signing_env(request: pytest.FixtureRequest, _templates: dict[str, str], softhsm_token: dict[str, str],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[SigningEnv]:
    tmp = tmp_path_factory.mktemp("signing")
    port = free_port()
    with pytest.MonkeyPatch.context() as mp, database_copy(request.param, _templates, tmp, prefix="giaoban_sig") as url:
        mp.setenv("GIAOBAN_DATABASE_URL", url)
        mp.setenv("GIAOBAN_VAR_DIR", str(tmp / "var"))
        mp.setenv("GIAOBAN_SECRET_KEY", "test-secret-" + uuid.uuid4().hex)
        mp.setenv("GIAOBAN_SIGNING_PORT", str(port))
        get_settings.cache_clear()
        settings = get_settings()
        config = SigningConfig(sad_ttl_seconds=SAD_TTL)
        env = SigningEnv(f"http://127.0.0.1:{port}", settings, config, tmp / "root.pem")
        env.root_pem.write_bytes(root_pem(settings))
        factory = session_factory(engine_for(settings.database_url), write=True)
        with session_scope(factory) as session:
            for name, username, key, store in (
                ("thuky", "thuky", "rsa-2048", "pkcs12"),
                ("chutoa", "chutoa", "ec-p256", "pkcs12"),
                ("thuky_hsm", "thuky", "rsa-2048", "pkcs11"),
                ("chutoa_hsm", "chutoa", "ec-p256", "pkcs11"),
                ("chuyenvien", "chuyenvien", "rsa-2048", "pkcs12"),
            ):
                env.credentials[name] = enroll(session, settings, username, PIN, key_spec=key,
                                               store=store).credential_id
            env.credentials["organisation"] = enroll_unit(session, settings, "000.00.00.H41", PIN).credential_id
            otp = enroll(session, settings, "vanhanh", PIN, with_otp=True)
            env.credentials["vanhanh_otp"], env.otp_secret = otp.credential_id, otp.totp_secret or ""
        with serve(create_app(settings, config), port):
            yield env
    get_settings.cache_clear()


@contextmanager
def serve(app: FastAPI, port: int | None = None) -> Iterator[str]:
    """The signing service on a loopback port in a thread; yields its base URL."""
    with serve_in_thread(app, port, proxy_headers=False) as url:
        yield url
