"""In Chromium: a clerk records an incoming document from the register page's form, lands on the
document's page, and submits it to the leader with the action button; a refusal shows its message."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


def test_clerk_records_and_submits_a_document(browser_page) -> None:  # type: ignore[no-untyped-def]
    page = browser_page
    page.set_default_timeout(90_000)  # the test machine is shared; slowness is not what this test checks
    page.goto("/documents")
    page.wait_for_load_state("load")
    page.fill("input[name=username]", "vanthu")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: urlparse(url).path == "/documents")  # not /login?next=/documents
    page.wait_for_load_state("load")  # documents.js (deferred) has wired the forms
    page.click("text=Vào sổ văn bản đến")
    form = page.locator("form[data-api='/api/documents/incoming']")
    form.locator("select[name=doc_type]").select_option("QĐ")
    form.locator("input[name=code]").fill("2045/QĐ-UBND")
    form.locator("input[name=issuer_name]").fill("UBND tỉnh Hà Tĩnh")
    form.locator("textarea[name=abstract]").fill("Quyết định về phòng, chống dịch bệnh trên gia súc")
    form.locator("select[name=urgency]").select_option("khan")
    form.locator("button[type=submit]").click()
    page.wait_for_url(lambda url: urlparse(url).path.startswith("/documents/"))
    assert "2045/QĐ-UBND" in page.inner_text("h1")
    assert "Đã vào sổ" in page.inner_text("main")
    page.locator("form[data-api$='/actions/submit'] button").click()
    page.wait_for_function("document.body.innerText.includes('Đã trình')")
    # The register's search finds it without accents.
    page.goto("/documents?q=phong+chong+dich+benh+gia+suc")
    assert "2045/QĐ-UBND" in page.inner_text("table.docs")
    # A refusal is shown next to the form, not a blank page.
    page.click("text=Nhận gói edXML")
    page.set_input_files("input[name=package]", files=[{"name": "hong.xml", "mimeType": "application/xml",
                                                        "buffer": b"<not-xml"}])
    page.locator("form[data-mode=raw] button").click()
    page.wait_for_selector("form[data-mode=raw] .result:not([hidden])")
    assert "edXML" in page.inner_text("form[data-mode=raw] .result")
