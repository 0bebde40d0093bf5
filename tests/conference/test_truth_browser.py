"""What every screen says in Chromium: while the chair has given TP Vinh the floor, the console, Vinh's
own room, another district's room and /ops all name TP Vinh as the speaker (the districts' fake
microphones keep making sound all along); after "Kết thúc cuộc họp" the console and the rooms show
an ended state with their controls gone, camera and microphone released and, for the chair, the
way to the minutes draft."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conference.rtc_peer import started_meeting
from tests.conference.test_meeting_browser import logged_in, wait_rising

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]
SHOTS = Path("var/screenshots/truth")


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# What a Vietnamese page must not show: raw ISO timestamps or UTC offsets, login names, English words
# for states (the machine's values rather than the person's language).
RAW = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|[+-]\d\d:\d\d\b|\b(?:chutoa|thuky|vanthu|vanhanh|admin|dc-[a-z]+)\b"
                 r"|\b(?:valid|invalid|draft|signed|issued|registered|live|ended|scheduled|connected|disconnected|"
                 r"offline|online|good|fair|poor|unknown|host|district|observer|FORM_FILLING|LTA_UPDATES|"
                 r"NO_CHANGES|in_meeting|waiting)\b")


def raw_values(page, where: str = "body") -> list[str]:  # type: ignore[no-untyped-def]
    """The machine values found in the page's visible text (the menus' and headers' too), each with
    the words around it so that a failure says where it is."""
    text = page.inner_text(where)
    return sorted({f"{m.group(0)!r} in …{text[max(0, m.start() - 40):m.end() + 40]}…" for m in RAW.finditer(text)})


def released(page) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate("""() => { const c = window.meetingClient;
        return c.pc === null && c.local === null
          && [...document.querySelectorAll('video')].every((v) => !v.srcObject); }""")


def test_every_screen_names_the_floor_holder_and_shows_the_end(  # type: ignore[no-untyped-def]
        chromium, live_server: str, media_workers: int) -> None:
    mid = started_meeting(live_server, ["dc-yte", "dc-vinh", "dc-cualo", "dc-thaihoa"])
    contexts = []
    try:
        pages = {}
        for name in ("chutoa", "dc-vinh", "dc-cualo", "vanhanh"):
            context, page = logged_in(chromium, live_server, name)
            contexts.append(context)
            pages[name] = page
        host, vinh, cualo, ops = pages["chutoa"], pages["dc-vinh"], pages["dc-cualo"], pages["vanhanh"]
        host.on("dialog", lambda d: d.accept())
        host.goto(f"/meetings/{mid}/console")
        vinh.goto(f"/meetings/{mid}/room")
        cualo.goto(f"/meetings/{mid}/room")
        ops.goto("/ops")
        wait_rising(host, "console decoding the districts")
        wait_rising(cualo, "Cửa Lò decoding the chair")

        # The console's tiles follow the province's order (districts first) and each tile's controls
        # form an even 2 x 2 block of whole labels, not a ragged line with one button left under it.
        assert [t.get_attribute("data-participant") for t in host.locator(".dtile").all()] == [
            "dc-vinh", "dc-cualo", "dc-thaihoa", "dc-yte"]
        lines = host.evaluate("""() => [...document.querySelectorAll('.dtile-controls')].map((c) => {
            const b = [...c.querySelectorAll('button')];
            const rows = b.map((x) => x.offsetTop);
            return [rows.filter((y) => y === rows[0]).length, new Set(rows).size,
                    b.every((x) => x.scrollWidth <= x.clientWidth)]; })""")
        assert lines == [[2, 2, True]] * 4
        vinh.click("#hand-btn")
        host.wait_for_selector("#hands li")
        host.locator('.dtile[data-participant="dc-vinh"] [data-do="grant_floor"]').click()
        vinh.wait_for_selector("#notice:not([hidden])")
        # Each screen hears of the grant on its own socket: once it names TP Vinh, it must keep doing so.
        for page in (host, vinh, cualo):
            page.wait_for_function("() => document.getElementById('speaker-name').innerText.includes('TP Vinh')")
        # Sampled over 6 s: each screen names TP Vinh every time, whoever's microphone is loudest.
        for _ in range(12):
            assert host.inner_text("#speaker-name") == "TP Vinh"
            assert "TP Vinh" in vinh.inner_text("#speaker-name")
            assert cualo.inner_text("#speaker-name") == "TP Vinh"
            host.wait_for_timeout(500)
        assert "được mời phát biểu" in host.inner_text(".speaker-name")
        # Vinh's own room shows its own camera under the caption that names it.
        assert vinh.evaluate("() => document.getElementById('speaker-video').srcObject === window.meetingClient.local")
        ops.wait_for_function("() => document.getElementById('meeting').innerText"
                              ".includes('Đang phát biểu: TP Vinh')")
        # Two districts connected of four invited: the chair's hall is not an endpoint.
        ops.wait_for_function("() => document.getElementById('k-endpoints').textContent === '2/4'")
        # /endpoints: the districts in the browser room are connected endpoints, not "never seen".
        registry = contexts[-1].new_page()
        registry.goto("/endpoints")
        vinh_row = registry.inner_text('tr[data-endpoint="dc-vinh"]')
        assert "Trực tuyến" in vinh_row and "trình duyệt" in vinh_row
        shot(registry, "endpoints-browser-room")
        registry.close()
        for page in (host, vinh, cualo, ops):
            assert raw_values(page) == [], page.url
        shot(host, "console-floor")
        shot(vinh, "room-floor-holder")
        shot(cualo, "room-other")
        shot(ops, "ops-floor")

        host.click("#end-btn")
        for page in (host, vinh, cualo):
            page.wait_for_selector("#ended:not([hidden])")
            assert "Cuộc họp đã kết thúc" in page.inner_text("#ended")
            assert page.locator(".notice:visible").count() == 0  # not the green success box
            page.wait_for_function("() => window.meetingClient.pc === null")
            assert released(page)
            assert page.inner_text("#conn-state") == "Cuộc họp đã kết thúc"
        assert host.locator("#end-btn").is_hidden() and host.locator(".dtile-controls button:visible").count() == 0
        assert host.locator("[data-q]:visible").count() == 0 and "kb/s" not in host.inner_text("body")
        for page in (vinh, cualo):
            assert page.locator("#hand-btn").is_hidden() and "RTT" not in page.inner_text("body")
            assert page.locator("#speaker-name").is_hidden()  # no old speaker name
            assert page.locator("[data-minutes]").count() == 0  # districts do not draft minutes
        # The chair is led to the draft the server makes by itself after the end.
        host.wait_for_selector('#ended a[data-minutes][href^="/minutes/"]', timeout=30_000)
        assert host.inner_text("#ended a[data-minutes]") == "Mở dự thảo biên bản"
        ops.wait_for_function("() => document.getElementById('meeting').innerText.includes('Đã kết thúc')")
        assert "2/4 điểm cầu đã dự" in ops.inner_text("#meeting") and ops.inner_text("#k-endpoints") == "–"
        shot(ops, "ops-ended")
        shot(host, "console-ended")
        shot(vinh, "room-ended")
        # Every page of the journey in Vietnamese: people's names and units, Vietnam time, Vietnamese words.
        for page in (host, vinh, ops):
            assert raw_values(page) == [], page.url
        host.goto(f"/meetings/{mid}")
        assert "Nguyễn Văn An (Chủ tọa) cho phát biểu TP Vinh" in host.inner_text("#actions-list")
        assert "Điểm danh (2/4 điểm cầu)" in host.inner_text("main")
        assert raw_values(host) == []
        shot(host, "meeting-page-ended")
        host.goto("/meetings")
        assert raw_values(host) == []
        ops.goto("/endpoints")
        assert raw_values(ops) == []
        # Opened again after the end, the console shows the same state without connecting.
        host.goto(f"/meetings/{mid}/console")
        host.wait_for_selector("#ended:not([hidden])")
        assert host.locator(".console-body").is_hidden()
    finally:
        for context in contexts:
            context.close()
