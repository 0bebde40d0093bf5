"""In Chromium: the one-stop officer receives a dossier with the receipt form, lands on its page with the
due date, and a refused action shows its message on the page; the statistics page renders the figures."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_officer_receives_a_dossier_through_the_form(browser_page, catalog) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.set_default_timeout(90_000)  # the machine is shared; speed is not what this test checks
    page.goto("/dossiers")
    page.fill("input[name=username]", "motcua")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path == "/dossiers")
    form = page.locator("#receipt-form")
    form.locator("select[name=procedure_code]").select_option("H41.HUYEN.01")
    form.locator("input[name=applicant_name]").fill("Phan Văn Lực")
    form.locator("button[type=submit]").click()
    # A district procedure needs its district: the API's refusal is shown, nothing is created.
    page.wait_for_function("document.getElementById('receipt-error').textContent.includes('unit_code')")
    # The provincial centre's desk receives the departments' procedures (a district's own desk its own).
    form.locator("select[name=procedure_code]").select_option("H41.SGTVT.01")
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: re.fullmatch(r"/dossiers/\d+", urlparse(url).path) is not None)
    heading = page.inner_text("h1")
    assert re.search(r"000\.00\.08\.H41-\d{6}-0001", heading), heading
    assert "2. Đã tiếp nhận" in page.inner_text("#status")
    assert re.search(r"\d{2}/\d{2}/\d{4}", page.inner_text("#due"))
    page.click("button[data-action=withdraw]")  # needs a reason: refused on the page
    assert "lý do" in page.inner_text("#action-error")
    page.fill("#comment", "Công dân xin rút để bổ sung giấy tờ")
    page.click("button[data-action=withdraw]")
    page.wait_for_function("document.getElementById('status').innerText.includes('Rút hồ sơ')")
    assert "Công dân xin rút" in page.inner_text("#history")
    page.goto("/dossiers/stats")
    assert "đã tiếp nhận" in page.inner_text("#summary")
