"""The chair's console at 131 parties (GIAOBAN_UNIT_SET=communes): pages of 5 x 5 tiles, paging, the tour,
accent-insensitive search, filters and the list view, in headless Chromium; and the media workers forward
to the chair the low tracks of the visible page only, while publishers nobody shows are told to pause.

The communes in the meeting are light clients (tests/conference/rtc_peer.py): four publish media (two
on the first page, two on the second; one of them over a line that loses half its packets), eighteen
more are present on signaling alone."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.folding import fold
from endpoints.fleet import fleet_members
from tests.conference.rtc_peer import Participant, login_token
from tests.conference.test_meeting_browser import logged_in

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(420)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def unit_set() -> str:
    return "communes"


class Crowd:
    """Light clients on an event loop of their own (Playwright's sync API holds the main thread's)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.people: dict[str, Participant] = {}

    def run(self, coro: Any, timeout: float = 120) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def join(self, base: str, meeting_id: int, username: str, *, media: bool, **options: Any) -> None:
        async def go() -> None:
            person = Participant(base, meeting_id, username, shade=40 + 7 * len(self.people), **options)
            await person.open()
            welcome = await person.join("district")
            if media:
                await person.connect_media(welcome)
            self.people[username] = person

        self.run(go())

    def hints(self, username: str) -> list[tuple[str, bool]]:
        return [(m["layer"], m["active"]) for m in list(self.people[username].messages) if m["type"] == "publish_hint"]

    def close(self) -> None:
        async def all_out() -> None:
            await asyncio.gather(*(p.close() for p in self.people.values()), return_exceptions=True)

        self.run(all_out())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


def chair_tiles(base: str, meeting_id: int, token: str) -> set[str]:
    """The districts whose low track the media workers forward to the chair now."""
    answer = httpx.get(f"{base}/api/meetings/{meeting_id}/forwarding",
                       headers={"Authorization": f"Bearer {token}"}, timeout=30)
    assert answer.status_code == 200, answer.text
    chair = [p for p in answer.json()["participants"] if p["participant"] == "chutoa"]
    if not chair:
        return set()
    return {d["source"] for d in chair[0]["downtracks"] if d["kind"] == "video" and d["layer"] == "low"}


def wait_for(check: Any, what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def shown_tiles(page) -> list[str]:  # type: ignore[no-untyped-def]
    return page.eval_on_selector_all("#tiles .dtile", "ts => ts.map(t => t.dataset.participant)")


def test_console_pages_searches_filters_and_receives_only_the_visible_page(  # type: ignore[no-untyped-def]
        chromium, live_server: str, media_workers: int) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    communes = [m.endpoint_id for m in fleet_members()]
    assert len(communes) == 130
    token = login_token(live_server, "thuky")
    headers = {"Authorization": f"Bearer {token}"}
    created = httpx.post(f"{live_server}/api/meetings", headers=headers, timeout=30, json={
        "title": "Giao ban trực tuyến UBND tỉnh với 130 xã, phường", "scheduled_at": "2026-12-07T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": communes})
    assert created.status_code == 201, created.text
    meeting_id = created.json()["id"]
    order = [e["username"] for e in created.json()["invited"]]  # the console's order: the province's list
    names = {e["username"]: e["unit_name"] or e["name"] for e in created.json()["invited"]}
    assert httpx.post(f"{live_server}/api/meetings/{meeting_id}/start", headers=headers).status_code == 200

    page1_media, page2_media, lossy = [order[0], order[1]], [order[30], order[31]], order[1]
    hand = order[7]
    crowd = Crowd()
    context, page = logged_in(chromium, live_server, "chutoa")
    try:
        page.set_viewport_size({"width": 1600, "height": 1000})
        for username in page1_media + page2_media:
            crowd.join(live_server, meeting_id, username, media=True, version=2,
                       uplink_loss=0.5 if username == lossy else 0.0)
        for username in order[2:20]:
            crowd.join(live_server, meeting_id, username, media=False)
        crowd.run(crowd.people[hand].send(type="raise_hand", raised=True))

        page.goto(f"/meetings/{meeting_id}/console")
        page.wait_for_function("() => document.getElementById('present-count').textContent === '22/130'")
        # 131 parties: one page of 25 tiles at a time, in the province's order.
        assert shown_tiles(page) == order[:25]
        assert page.inner_text("#page-label") == "Trang 1/6"

        # The workers forward to the chair the low tracks of the first page's publishers, and no others;
        # those of the second page were told nobody watches them.
        wait_for(lambda: chair_tiles(live_server, meeting_id, token) == set(page1_media), "page 1's low tracks")
        for username in page2_media:
            wait_for(lambda u=username: ("low", False) in crowd.hints(u), f"{username} told to pause its low track")
        page.wait_for_function(f"() => document.querySelector('.dtile[data-participant=\"{order[0]}\"] video')"
                               ".videoWidth > 0")
        # The lossy line shows as poor on its tile once measured.
        page.wait_for_function(f"() => document.querySelector('.dtile[data-participant=\"{lossy}\"] [data-q]')"
                               ".classList.contains('bad')", timeout=60_000)
        page.screenshot(path=str(SHOTS / "console-131-grid-page1.png"))

        # Next page: its tiles, and now only its publishers' low tracks reach the chair.
        page.click("#page-next")
        assert page.inner_text("#page-label") == "Trang 2/6"
        assert shown_tiles(page) == order[25:50]
        wait_for(lambda: chair_tiles(live_server, meeting_id, token) == set(page2_media), "page 2's low tracks")
        wait_for(lambda: crowd.hints(page2_media[0])[-1] == ("low", True), "page 2 publisher told to resume")
        page.wait_for_function(f"() => document.querySelector('.dtile[data-participant=\"{page2_media[0]}\"] video')"
                               ".videoWidth > 0")
        page.screenshot(path=str(SHOTS / "console-131-grid-page2.png"))

        # Search without accents finds the accented names, and accented input finds the same.
        expected = [u for u in order if "vinh" in fold(names[u])]
        assert len(expected) > 1
        page.fill("#unit-search", "vinh")
        assert shown_tiles(page) == expected[:25]
        page.fill("#unit-search", "Vĩnh")
        assert shown_tiles(page) == expected[:25]
        page.fill("#unit-search", "khong co xa nay")
        assert shown_tiles(page) == [] and page.is_visible("#no-match")
        page.fill("#unit-search", "")

        # Filters: raised hands; absent units; poor links.
        page.click('[data-filter="hand"]')
        assert shown_tiles(page) == [hand]
        page.screenshot(path=str(SHOTS / "console-131-filter-hand.png"))
        page.click('[data-filter="hand"]')
        page.click('[data-filter="absent"]')
        absent = [u for u in order if u not in crowd.people]
        assert len(absent) == 108 and page.inner_text("#page-label") == "Trang 1/5"
        assert shown_tiles(page) == absent[:25]
        page.screenshot(path=str(SHOTS / "console-131-filter-absent.png"))
        page.click('[data-filter="absent"]')
        page.click('[data-filter="poor"]')
        # The lossy line, and any other the loaded test machine made poor just now: all graded "Kém".
        poor = shown_tiles(page)
        assert lossy in poor and set(poor) <= set(page1_media + page2_media)
        assert page.eval_on_selector_all("#tiles .dtile [data-q]", "bs => bs.every(b => b.classList.contains('bad'))")
        page.click('[data-filter="poor"]')

        # The list view: every unit with presence, link and hand; no tile shown, so no low track forwarded.
        page.click("#view-list")
        rows = page.locator("#unit-rows tr")
        assert rows.count() == 130
        hand_row = page.inner_text(f'#unit-rows tr[data-participant="{hand}"]')
        assert names[hand] in hand_row and "Có mặt" in hand_row and "Đang giơ tay" in hand_row
        assert "Vắng mặt" in page.inner_text(f'#unit-rows tr[data-participant="{order[60]}"]')
        assert "Kém" in page.inner_text(f'#unit-rows tr[data-participant="{lossy}"]')
        wait_for(lambda: chair_tiles(live_server, meeting_id, token) == set(), "no low track in the list view")
        page.screenshot(path=str(SHOTS / "console-131-list.png"), full_page=True)
        # "Xem hình" on a row goes to the grid page that has it.
        page.click(f'#unit-rows tr[data-participant="{page2_media[1]}"] button.link')
        assert page.inner_text("#page-label") == "Trang 2/6" and page2_media[1] in shown_tiles(page)

        # The tour moves to the next page after its dwell, and stops while the chair works the console.
        page.select_option("#tour-dwell", "5")
        page.check("#tour-on")
        assert page.inner_text("#tour-state") == "Đang tự chuyển"
        page.wait_for_function("() => document.getElementById('page-label').textContent === 'Trang 3/6'",
                               timeout=30_000)
        page.click("#tiles .dtile .dname")
        assert page.get_attribute("#tour-state", "data-state") == "paused"
    finally:
        context.close()
        crowd.close()
