"""An operator watches the registry in Chromium: endpoints come online as they report, and the
alert for an endpoint missing from its live meeting appears and clears without reloading the page."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD
from tests.endpoints.conftest import live_meeting, token

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]
REPORT = {"status": "in_meeting", "camera": "ok", "microphone": "ok", "bitrate_out_kbps": 700.0,
          "bitrate_in_kbps": 550.0, "loss_pct": 0.2, "rtt_ms": 15.0, "software_version": "0.1.0"}


def report(base_url: str, endpoint: str, meeting_id: int) -> None:
    response = httpx.post(f"{base_url}/api/endpoints/{endpoint}/health", json=REPORT | {"meeting_id": meeting_id},
                          headers={"Authorization": f"Bearer {token(base_url, endpoint)}"})
    assert response.status_code == 204, response.text


def test_operator_sees_endpoints_come_online_and_the_offline_alert(browser_page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    meeting_id = live_meeting(live_server, ["dc-vinh", "dc-kyson"])
    report(live_server, "dc-vinh", meeting_id)
    page = browser_page
    page.goto("/endpoints")
    page.fill("input[name=username]", "vanhanh")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/endpoints")
    assert "1/26 điểm cầu đang trực tuyến" in page.inner_text("#summary")
    vinh = page.locator("tr[data-endpoint=dc-vinh]")
    assert "Trực tuyến" in vinh.inner_text() and "Tốt" in vinh.inner_text()

    # The web process checks every 5 s; the page refreshes itself every 5 s.
    alert = page.locator("[data-alert=dc-kyson]")
    alert.wait_for(timeout=30_000)
    assert "Điểm cầu huyện Kỳ Sơn chưa kết nối" in alert.inner_text()

    report(live_server, "dc-kyson", meeting_id)
    alert.wait_for(state="detached", timeout=30_000)
    assert "Trực tuyến" in page.locator("tr[data-endpoint=dc-kyson]").inner_text()
