"""`giaoban signing ...` commands: enroll (PIN from the environment or a prompt), export-ca, unlock,
revoke, and serve as its own process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from cryptography import x509
from sqlalchemy import select
from typer.testing import CliRunner

from core.db import engine_for, session_factory
from signing.cli import app
from signing.models import IssuedCertificate, SigningCredential
from tests.conftest import free_port

runner = CliRunner()


def _credential(settings, credential_id: str) -> SigningCredential:  # type: ignore[no-untyped-def]
    with session_factory(engine_for(settings.database_url))() as session:
        return session.execute(select(SigningCredential).where(SigningCredential.id == credential_id)).scalar_one()


def test_enroll_export_unlock_revoke(settings, softhsm_token, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    root = tmp_path / "root.pem"
    assert runner.invoke(app, ["export-ca", str(root)]).exit_code == 0
    root_cert = x509.load_pem_x509_certificate(root.read_bytes())
    assert root_cert.issuer == root_cert.subject and "CA gốc" in root_cert.subject.rfc4514_string()

    done = runner.invoke(app, ["enroll", "thuky"], env={"GIAOBAN_SIGNING_PIN": "112233"})
    assert done.exit_code == 0, done.output
    credential_id = done.output.split("credentialID: ")[1].split()[0]
    cert = x509.load_der_x509_certificate(_credential(settings, credential_id).cert_der)
    assert cert.issuer != root_cert.subject and "Trần Thị Bình" in cert.subject.rfc4514_string()

    prompted = runner.invoke(app, ["enroll", "chutoa", "--key", "ec-p384", "--store", "pkcs11"],
                             input="445566\n445566\n", env={"GIAOBAN_SIGNING_PIN": ""})
    assert prompted.exit_code == 0, prompted.output
    hsm = _credential(settings, prompted.output.split("credentialID: ")[1].split()[0])
    assert (hsm.store, hsm.key_spec) == ("pkcs11", "ec-p384")

    unknown = runner.invoke(app, ["enroll", "nobody"], env={"GIAOBAN_SIGNING_PIN": "112233"})
    assert unknown.exit_code == 2 and "nobody" in unknown.output
    short_pin = runner.invoke(app, ["enroll", "thuky"], env={"GIAOBAN_SIGNING_PIN": "12"})
    assert short_pin.exit_code == 2 and "PIN" in short_pin.output
    assert runner.invoke(app, ["enroll", "000.00.00.H41", "--unit"],
                         env={"GIAOBAN_SIGNING_PIN": "778899"}).exit_code == 0

    assert runner.invoke(app, ["unlock", credential_id]).exit_code == 0
    assert runner.invoke(app, ["unlock", "no-such-credential"]).exit_code == 2
    assert runner.invoke(app, ["revoke", credential_id]).exit_code == 0
    assert _credential(settings, credential_id).status == "disabled"
    with session_factory(engine_for(settings.database_url))() as session:
        assert session.get(IssuedCertificate, format(cert.serial_number, "x")).revoked_at is not None


def test_serve_runs_the_service_in_its_own_process(settings) -> None:  # type: ignore[no-untyped-def]
    port = free_port()
    env = dict(os.environ, GIAOBAN_SIGNING_URL=f"http://127.0.0.1:{port}")
    process = subprocess.Popen([sys.executable, "-m", "signing.cli", "serve", "--host", "127.0.0.1",
                                "--port", str(port)], env=env, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                info = httpx.post(f"http://127.0.0.1:{port}/csc/v1/info", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "service did not start"
                time.sleep(0.2)
        assert info.json()["specs"] == "1.0.4.0"
        crl = x509.load_der_x509_crl(httpx.get(f"http://127.0.0.1:{port}/pki/issuing.crl").content)
        assert "CA cấp chứng thư" in crl.issuer.rfc4514_string()
        assert httpx.post(f"http://127.0.0.1:{port}/pki/tsa", content=b"x").status_code == 401
    finally:
        process.terminate()
        process.wait(10)
