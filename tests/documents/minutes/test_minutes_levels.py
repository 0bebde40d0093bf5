"""PAdES level when the CA's revocation data cannot be reached: the certificates name an OCSP responder
and CRL that do not answer, while the signing service and its timestamp authority do. The minutes are
then signed PAdES B-T (timestamped, no validation data embedded), still valid for pdfsig."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from conference.record import meeting_record
from core.settings import get_settings
from documents.minutes import record_source
from tests.conftest import free_port
from tests.documents.minutes.conftest import PIN, MinutesEnv, build_environment, ended_meeting


@pytest.fixture(scope="module")
def offline_revocation(_templates: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[MinutesEnv]:
    env, cleanup = build_environment("sqlite", _templates, tmp_path_factory.mktemp("offline-ca"),
                                     ca_url=f"http://127.0.0.1:{free_port()}")
    try:
        yield env
    finally:
        cleanup()


def test_unreachable_revocation_data_gives_pades_b_t(offline_revocation: MinutesEnv, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    env = offline_revocation
    for name, value in env.environ.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    record_source.connect(meeting_record)
    try:
        meeting_id = ended_meeting(env, title="Họp khi máy chủ OCSP không trả lời")
        secretary = env.client("thuky")
        mid = secretary.post(f"/api/meetings/{meeting_id}/minutes").json()["id"]
        signed = secretary.post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
        pdf = secretary.get(f"/api/minutes/{mid}/pdf").content
    finally:
        record_source.connect(None)
        get_settings.cache_clear()
    assert signed.status_code == 200, signed.text
    assert signed.json()["signatures"][0]["level"] == "B-T"
    reader = PdfFileReader(BytesIO(pdf))
    assert "/DSS" not in reader.root
    assert len(reader.embedded_signatures) == 1 and reader.embedded_signatures[0].sig_object.get("/Contents")
    path = tmp_path / "bt.pdf"
    path.write_bytes(pdf)
    report = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=False).stdout
    assert "Signature Validation: Signature is Valid." in report, report
