"""The secretary's page in real Chromium: edit the drafted sections, save, sign with the PIN prompt."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD, serve_in_thread
from tests.documents.minutes.conftest import PIN, MinutesEnv, ended_meeting

pytestmark = pytest.mark.browser
SHOTS = Path("var/screenshots")


def _login(page, username: str, target: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(target)
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**{target}")


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
            # The dialog says what is being authorised: who, in which role, which document, which hash.
            served = minutes_env.client("thuky").get(f"/api/minutes/{mid}/pdf").content
            digest = hashlib.sha256(served).hexdigest()
            facts = page.inner_text("#signing-facts")
            for expected in ("Trần Thị Bình", "Thư ký cuộc họp", "Họp thử trên trình duyệt", "chưa có số",
                             f"{digest[:8]}…{digest[-8:]}"):
                assert expected in facts, expected
            assert page.get_attribute("#dlg-hash code", "title") == digest
            page.click("#dlg-hash summary")
            assert page.inner_text("#dlg-hash-full") == digest
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / "minutes-pin-dialog-secretary.png"), full_page=True)
            page.fill("#pin-dialog input[name=pin]", "111111")
            page.click("#pin-ok")
            page.wait_for_selector("#sign-error:not([hidden])")
            assert "PIN" in page.inner_text("#sign-error")
            page.click("#sign")
            page.fill("#pin-dialog input[name=pin]", PIN)
            page.click("#pin-ok")
            page.wait_for_selector("text=Thư ký đã ký", timeout=30_000)
            assert "Trần Thị Bình" in page.inner_text("#signatures")
            # Signed: the text, read-only, beside its PDF; no form and no "Lưu" the server would refuse.
            assert page.locator("textarea, #save").count() == 0
            assert "Giao Sở Tài chính cân đối kinh phí." in page.inner_text("#minutes-text")
        finally:
            context.close()


@pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)
def test_minutes_are_found_by_meeting_and_issued_ones_are_read_only(minutes_env: MinutesEnv, chromium) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    meeting_id = ended_meeting(minutes_env, title="Giao ban kiểm điểm công tác phòng chống bão")
    with serve_in_thread(minutes_env.app, timeout=20) as base_url:
        context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True)  # see tests/conftest.py
        try:
            page = context.new_page()
            _login(page, "thuky", "/minutes")
            # The meeting is picked by its title and date, not typed as a number.
            assert page.locator("input[name=meeting_id]").count() == 0
            option = page.locator("select[name=meeting_id] option", has_text="Giao ban kiểm điểm công tác")
            label = option.inner_text()
            assert " ngày " in label and label.index("Giao ban") == 0
            page.select_option("select[name=meeting_id]", value=str(meeting_id))
            page.screenshot(path=str(SHOTS / "minutes-list-pick-meeting.png"), full_page=True)
            page.click("#draft-form button[type=submit]")
            page.wait_for_url("**/minutes/*")
            mid = int(page.url.rsplit("/", 1)[1])
            # Minutes -> meeting -> minutes.
            assert "Giao ban kiểm điểm công tác phòng chống bão" in page.inner_text("#meeting-link")
            page.click("#meeting-link")
            page.wait_for_url(f"**/meetings/{meeting_id}")
            assert "Dự thảo" in page.inner_text("#minutes-link")
            # The speaking-time table names its columns; the minutes link is a quiet link on the actions row.
            headings = page.locator("#speaking th").all_inner_texts()
            assert headings == ["Đơn vị / người phát biểu", "Số lượt", "Thời gian"]
            assert page.locator(".actions #minutes-link a.button.secondary").count() == 1
            page.screenshot(path=str(SHOTS / "meeting-ended-minutes-link.png"), full_page=True)
            page.click("#minutes-link a")
            page.wait_for_url(f"**/minutes/{mid}")

            for username in ("thuky", "chutoa"):
                signed = minutes_env.client(username).post(f"/api/minutes/{mid}/sign", json={"pin": PIN})
                assert signed.status_code == 200, signed.text
            # The clerk's dialog: the organisation's signature, seal and the number it is expected to get.
            _login(page, "vanthu", f"/minutes/{mid}")
            page.click("#sign")
            facts = page.inner_text("#signing-facts")
            assert "Lê Thị Cúc" in facts and "Văn thư — ký số của cơ quan" in facts
            assert "dự kiến" in facts and "/BB-UBND" in page.inner_text("#dlg-number")
            page.screenshot(path=str(SHOTS / "minutes-pin-dialog-clerk.png"), full_page=True)
            page.fill("#pin-dialog input[name=pin]", PIN)
            page.click("#pin-ok")
            page.wait_for_selector("#code", timeout=60_000)
            page.click("#send")
            page.wait_for_selector("#sent-now:not([hidden])", timeout=60_000)
            assert page.inner_text("#sent-now") == "Đã gửi 3 đơn vị tham dự"
            page.screenshot(path=str(SHOTS / "minutes-sent.png"), full_page=True)
            # The signature check in words and Vietnam time, not pyHanko's values.
            page.click("#verify-this")
            page.wait_for_selector("#verify-report table", timeout=60_000)
            report = page.inner_text("#verify-report")
            assert "Tệp có 3 chữ ký số. Tất cả hợp lệ." in report and report.count("Hợp lệ") == 3
            for role in ("Thư ký", "Chủ tọa", "Cơ quan, đóng dấu"):
                assert role in report, role
            assert "chỉ thêm chữ ký, số văn bản vào ô dành sẵn" in report
            assert re.search(r"\d\d:\d\d ngày \d\d/\d\d/20\d\d", report)
            for raw in ("valid", "FORM_FILLING", "LTA_UPDATES", "+00:00", "ThuKy", "T0"):
                assert raw not in report, raw
            page.screenshot(path=str(SHOTS / "minutes-signature-check.png"), full_page=True)

            _login(page, "thuky", f"/minutes/{mid}")
            blocked = page.inner_text("#sign-blocked")
            assert "Bạn đã ký biên bản này" in blocked and "you have already" not in blocked
            assert page.locator("form#content-form, textarea, #save").count() == 0
            text = page.inner_text("#minutes-text")
            assert "Phòng, chống thiên tai" in text and "không còn sửa được" in text
            code = page.inner_text("#code")
            assert code.endswith("/BB-UBND")
            assert page.locator("iframe#preview").get_attribute("src") == f"/api/minutes/{mid}/pdf"
            page.screenshot(path=str(SHOTS / "minutes-issued-read-only.png"), full_page=True)
            page.goto("/minutes")
            listing_row = page.inner_text(f"tr[data-minutes='{mid}']")
            assert "Giao ban kiểm điểm công tác phòng chống bão" in listing_row and code in listing_row
            assert page.locator(f"tr[data-minutes='{mid}'] a[href='/meetings/{meeting_id}']").count() == 1
            # The cards under the table keep apart from it and from each other.
            gaps = page.evaluate("""() => [...document.querySelectorAll('#minutes-list, #minutes-list ~ .card')]
                .map((e) => e.getBoundingClientRect())
                .map((r, i, all) => i ? r.top - all[i - 1].bottom : 0).slice(1)""")
            assert len(gaps) == 2 and min(gaps) >= 12, gaps
            page.screenshot(path=str(SHOTS / "minutes-list.png"), full_page=True)
            page.goto(f"/meetings/{meeting_id}")
            assert code in page.inner_text("#minutes-link")
        finally:
            context.close()
