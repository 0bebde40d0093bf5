"""The secretary's page in real Chromium: edit the drafted sections, save, sign with the PIN prompt."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_PASSWORD, serve_in_thread
from tests.documents.minutes.conftest import PIN, MinutesEnv, ended_meeting

pytestmark = pytest.mark.browser


# The page does not depend on the database backend; one run is enough.
@pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)
def test_secretary_edits_and_signs_in_the_page(minutes_env: MinutesEnv, chromium) -> None:  # type: ignore[no-untyped-def]
    meeting_id = ended_meeting(minutes_env, title="Họp thử trên trình duyệt")
    mid = minutes_env.client("thuky").post(f"/api/meetings/{meeting_id}/minutes").json()["id"]
    with serve_in_thread(minutes_env.app, timeout=20) as base_url:
        context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True)  # see tests/conftest.py
        try:
            page = context.new_page()
            page.goto(f"/minutes/{mid}")
            page.fill("input[name=username]", "thuky")
            page.fill("input[name=password]", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"**/minutes/{mid}")
            assert page.input_value("input[name=subject]") == "Họp thử trên trình duyệt"
            assert "Phòng, chống thiên tai" in page.input_value("textarea[name=proceedings]")
            page.fill("textarea[name=conclusions]", "Giao Sở Tài chính cân đối kinh phí.")
            page.click("#add-assignment")
            page.fill("#assignments .assignment input[data-k=unit]", "Sở Tài chính")
            page.fill("#assignments .assignment input[data-k=task]", "Cân đối kinh phí phòng chống lũ")
            page.click("#save")
            page.wait_for_selector("#saved:not([hidden])")
            saved = minutes_env.client("thuky").get(f"/api/minutes/{mid}").json()["content"]
            assert saved["conclusions"] == "Giao Sở Tài chính cân đối kinh phí."
            assert saved["assignments"][0]["unit"] == "Sở Tài chính"

            page.click("#sign")
            page.fill("#pin-dialog input[name=pin]", "111111")
            page.click("#pin-ok")
            page.wait_for_selector("#sign-error:not([hidden])")
            assert "PIN" in page.inner_text("#sign-error")
            page.click("#sign")
            page.fill("#pin-dialog input[name=pin]", PIN)
            page.click("#pin-ok")
            page.wait_for_selector("text=Thư ký đã ký", timeout=30_000)
            assert "Trần Thị Bình" in page.inner_text("#signatures")
            assert page.is_disabled("textarea[name=conclusions]")
        finally:
            context.close()
