"""The minutes pages and PDF in the person's words: the signature check says "Hợp lệ" and what changed
after signing in Vietnamese with Vietnam times (not `valid`, `FORM_FILLING`, `LTA_UPDATES`, `+00:00`),
the signature boxes' time reads `10:24:47 ngày 06/12/2026`, and the minutes page shows no ISO time or
login name."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.conference.test_truth_browser import raw_values
from tests.conftest import serve_in_thread
from tests.documents.minutes.conftest import PIN, MinutesEnv, ended_meeting
from tests.documents.minutes.test_minutes_browser import _login

pytestmark = pytest.mark.browser
SHOTS = Path("var/screenshots/truth")


@pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)
def test_signature_check_and_pages_speak_vietnamese(minutes_env: MinutesEnv, chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    meeting_id = ended_meeting(minutes_env, title="Giao ban kiểm tra chữ ký")
    mid = minutes_env.client("thuky").post(f"/api/meetings/{meeting_id}/minutes").json()["id"]
    for username in ("thuky", "chutoa", "vanthu"):
        signed = minutes_env.client(username).post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
        assert signed.status_code == 200, signed.text
    pdf = minutes_env.client("thuky").get(f"/api/minutes/{mid}/pdf").content
    path = tmp_path / "bien-ban.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert re.search(r"Thời gian ký: \d\d:\d\d:\d\d ngày \d\d/\d\d/\d{4}", text)
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d|\+07:00", text)

    with serve_in_thread(minutes_env.app, timeout=20) as base_url:
        context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True)  # see tests/conftest.py
        try:
            page = context.new_page()
            page.set_default_timeout(60_000)
            _login(page, "thuky", f"/minutes/{mid}")
            assert raw_values(page) == []
            page.goto("/minutes")
            page.set_input_files("#verify-form input[type=file]", str(path))
            page.click("#verify-form button[type=submit]")
            page.wait_for_selector("#verify-report table tbody tr", timeout=90_000)
            report = page.inner_text("#verify-report")
            assert report.count("Hợp lệ") == 3 and "Người ký" in report
            assert "Thư ký" in report and "ThuKy" not in report
            assert re.search(r"\d\d:\d\d ngày \d\d/\d\d/\d{4}", report)
            # (The list above it holds other tests' meetings, whose titles are theirs.)
            assert raw_values(page, "#verify-report") == []
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "minutes-signature-check.png"), full_page=True)
        finally:
            context.close()
