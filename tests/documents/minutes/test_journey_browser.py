"""The whole journey in Chromium, as its people live it, on one app with its media workers and signing
service. Everyone logs in first and moves through the pages by their links and buttons:

- the secretary schedules from the form and starts the meeting from its page;
- the three districts' home pages offer the room by themselves and they enter it; the chair opens the
  console from the meeting's page (it joins at once); the operator opens /ops from the menu;
- TP Vinh raises its hand and the chair grants the floor: the console, Vinh's room, Cửa Lò's and Thái
  Hòa's rooms and /ops name TP Vinh, and keep doing so while the districts' fake microphones go on
  making sound (watched continuously, not sampled); /ops counts the three districts, not the chair's hall;
- the chair ends the meeting: every open page shows the ended state (the secretary's meeting page too),
  and the meeting's record has no speaking turn but TP Vinh's after the grant;
- the secretary reaches the draft from the meeting page, the chair from the console's ended notice, the
  clerk from the minutes list; each signs through the PIN dialog, which says what is signed; signed
  minutes are read-only and the PDF preview shows; pdfsig finds three valid signatures (the PDF is kept
  beside the screenshots).

No page of the journey shows an ISO time, a login name or an English state word (`raw_values`, the same
scan tests/conference/test_truth_browser.py uses). Screenshots of each step: var/screenshots/journey/."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conference.test_truth_browser import raw_values
from tests.conftest import DEMO_PASSWORD, serve_in_thread
from tests.documents.minutes.conftest import PIN, MinutesEnv
from tests.documents.minutes.test_minutes_flow import pdfsig

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900)]
SHOTS = Path("var/screenshots/journey")
DISTRICTS = ["dc-vinh", "dc-cualo", "dc-thaihoa"]
# Bounds for hangs on the loaded shared machine; nothing is timed against them.
WAIT = 60_000
MEDIA_WAIT = 120_000

# Installed once the floor is granted: every later change of the element's text is checked, so a
# caption that names someone else even for one update is caught (sampling would miss it).
WATCH = """([selector, want]) => {
  const el = document.querySelector(selector);
  window.__wrongSpeaker = [];
  const check = () => { const text = el.innerText.trim();
    if (!text.includes(want)) window.__wrongSpeaker.push(text); };
  new MutationObserver(check).observe(el, { subtree: true, childList: true, characterData: true });
  check();
}"""


# What a failure report says of each meeting page besides its screenshot.
MEDIA_STATE = """async () => { const c = window.meetingClient; if (!c) return null;
  return { frames: await c.framesDecoded(), peer: c.pc && c.pc.connectionState }; }"""


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def truthful(page, name: str) -> None:  # type: ignore[no-untyped-def]
    """Screenshot of a step, and the page's visible text holds no machine values."""
    shot(page, name)
    assert raw_values(page) == [], f"{name}: {page.url}"


def person(chromium, base_url: str, username: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(base_url=base_url, locale="vi-VN", bypass_csp=True)  # see tests/conftest.py
    page = context.new_page()
    page.set_default_timeout(WAIT)
    page.on("dialog", lambda d: d.accept())
    page.on("pageerror", lambda e: print(username, "pageerror:", e))
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("nav.mainnav")
    return context, page


def decoding(page, frames: int = 10) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_function("async (n) => window.meetingClient && (await window.meetingClient.framesDecoded()) > n",
                           arg=frames,
                           timeout=MEDIA_WAIT, polling=250)


def sign(page, role: str, shot_name: str) -> None:  # type: ignore[no-untyped-def]
    """Sign through the PIN dialog on the minutes page the person is on; the dialog names the role and
    the document and shows the hash being authorised."""
    page.click("#sign")
    page.wait_for_selector("#signing-facts")
    assert page.inner_text("#dlg-role").startswith(role)
    assert "hành trình" in page.inner_text("#dlg-document")
    assert len(page.inner_text("#dlg-hash code[title]")) >= 8
    assert len(page.get_attribute("#dlg-hash code[title]", "title") or "") == 64
    truthful(page, shot_name)
    page.fill("#pin-dialog input[name=pin]", PIN)
    page.click("#pin-ok")


def preview_shown(page) -> None:  # type: ignore[no-untyped-def]
    """The PDF preview frame holds the PDF, not the browser's 'refused to connect' page (a framed page
    the browser blocked is cross-origin to its parent, so its address cannot be read)."""
    page.wait_for_function("""() => { try {
        return document.getElementById('preview').contentWindow.location.href.includes('/api/minutes/');
      } catch { return false; } }""")


@pytest.mark.parametrize("minutes_service", ["sqlite"], indirect=True)
def test_the_whole_journey(minutes_env: MinutesEnv, chromium, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from conference.media.service import WorkerPool, media_run_dir

    settings = minutes_env.settings
    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    contexts: list = []  # type: ignore[type-arg]
    people: dict = {}  # type: ignore[type-arg]
    try:
        with serve_in_thread(minutes_env.app, timeout=20, ws="websockets-sansio") as base_url:
            try:
                walk(chromium, base_url, contexts, people, tmp_path)
            except BaseException:
                # What each person's screen showed when the journey stopped, for whoever reads the failure.
                for username, page in people.items():
                    try:
                        shot(page, f"failed-{username}")
                        print("at failure:", username, page.url, page.evaluate(MEDIA_STATE))
                    except Exception as exc:  # a crashed page: the original failure still matters most
                        print("at failure:", username, "no page:", exc)
                raise
    finally:
        for context in contexts:
            context.close()
        pool.stop()


def walk(chromium, base_url: str, contexts: list, people: dict, tmp_path: Path) -> None:  # type: ignore[no-untyped-def, type-arg]
    """The journey itself (see the module's docstring), step by step with a screenshot of each."""
    for username in ("thuky", "chutoa", *DISTRICTS, "vanhanh", "vanthu"):
        context, page = person(chromium, base_url, username)
        contexts.append(context)
        people[username] = page
    secretary, chair, ops, clerk = people["thuky"], people["chutoa"], people["vanhanh"], people["vanthu"]
    vinh, cualo, thaihoa = (people[d] for d in DISTRICTS)
    rooms = (vinh, cualo, thaihoa)
    for page in rooms:  # each district waits on its home page
        page.wait_for_selector("#live-meetings")
    truthful(vinh, "01-home-district-waiting")

    # The secretary schedules from the form and starts the meeting from its page.
    title = "Giao ban trực tuyến tháng 12/2026 — hành trình"
    secretary.click("nav.mainnav >> text=Họp trực tuyến")
    secretary.fill("input[name=title]", title)
    secretary.fill("input[name=scheduled_at]", "2026-12-07T08:00")
    secretary.fill("input[name=place]", "Hội trường UBND tỉnh")
    secretary.uncheck("#invite-all")
    for d in DISTRICTS:
        secretary.check(f'input[name=invited][value="{d}"]')
    truthful(secretary, "02-schedule-form")
    secretary.click("#schedule-form button[type=submit]")
    secretary.wait_for_url(lambda url: "/meetings/" in url)
    mid = int(secretary.url.rstrip("/").rsplit("/", 1)[1])
    assert "08:00 ngày 07/12/2026" in secretary.inner_text("main")
    secretary.click('button[data-action="start"]')
    secretary.wait_for_selector("#status:has-text('Đang họp')")
    truthful(secretary, "03-meeting-started")

    # The districts' home pages offer the room by themselves; the chair opens the console from
    # the meeting's page; the operator opens /ops from the menu.
    for page in rooms:
        page.wait_for_selector("a.enter-room", timeout=MEDIA_WAIT)
        assert title in page.inner_text("#live-meetings")
    truthful(cualo, "04-home-district-live")
    for page in rooms:
        page.click("a.enter-room")
    chair.click("nav.mainnav >> text=Họp trực tuyến")
    chair.click(f'tr[data-meeting="{mid}"] a[href="/meetings/{mid}"]')
    chair.click(f'a[href^="/meetings/{mid}/console"]')
    chair.wait_for_url(f"**/meetings/{mid}/console*")
    ops.click("nav.mainnav >> text=Trung tâm điều hành")
    ops.wait_for_url("**/ops")
    decoding(chair)
    for page in rooms:
        page.wait_for_url(f"**/meetings/{mid}/room")
        decoding(page)
    ops.wait_for_function("() => document.getElementById('k-endpoints').textContent === '3/3'")

    # TP Vinh asks for the floor and gets it: every screen names TP Vinh, and keeps doing so.
    vinh.click("#hand-btn")
    chair.wait_for_selector("#hands li")
    truthful(chair, "05-console-hand-raised")
    chair.locator('.dtile[data-participant="dc-vinh"] [data-do="grant_floor"]').click()
    vinh.wait_for_selector("#notice:not([hidden])")
    watched = ((chair, "#speaker-name", "TP Vinh"), (vinh, "#speaker-name", "TP Vinh (điểm cầu của bạn)"),
               (cualo, "#speaker-name", "TP Vinh"), (thaihoa, "#speaker-name", "TP Vinh"),
               (ops, "#meeting", "Đang phát biểu: TP Vinh"))
    for page, selector, want in watched:
        page.wait_for_function("([s, w]) => document.querySelector(s).innerText.includes(w)",
                               arg=[selector, want])
        page.evaluate(WATCH, [selector, want])
    # Watch while a good stretch of the districts' (noisy) media goes by: 100 more frames decoded
    # on the console, a few seconds on a quiet machine.
    decoding(chair, chair.evaluate("() => window.meetingClient.framesDecoded()") + 100)
    for page, selector, _ in watched:
        assert page.evaluate("() => window.__wrongSpeaker") == [], (page.url, selector)
    assert chair.inner_text("#speaker-name") == "TP Vinh"
    assert ops.inner_text("#k-endpoints") == "3/3"  # the chair's hall is not an endpoint
    # Each tile names its unit in full (the link badge gives way on a narrow tile).
    assert chair.evaluate("""() => [...document.querySelectorAll('.dtile .dname')]
        .filter((n) => n.scrollWidth > n.clientWidth).map((n) => n.textContent)""") == []
    truthful(chair, "06-console-floor")
    truthful(vinh, "07-room-floor-holder")
    truthful(cualo, "08-room-other")
    truthful(ops, "09-ops-floor")

    # The chair ends the meeting: every open page shows the ended state.
    chair.click("#end-btn")
    for page in (chair, *rooms):
        page.wait_for_selector("#ended:not([hidden])")
        page.wait_for_function("() => window.meetingClient.pc === null && window.meetingClient.local === null")
        assert page.locator(".notice:visible").count() == 0
        assert "Cuộc họp đã kết thúc" in page.inner_text("#ended")
    assert chair.locator("#end-btn").is_hidden() and chair.locator("[data-q]:visible").count() == 0
    for page in rooms:
        assert page.locator("#hand-btn").is_hidden() and "RTT" not in page.inner_text("body")
    ops.wait_for_function("() => document.getElementById('meeting').innerText.includes('Đã kết thúc')")
    assert "3/3 điểm cầu đã dự" in ops.inner_text("#meeting")
    # The secretary's meeting page, open since the start, follows the end by itself.
    secretary.wait_for_selector("#status:has-text('Đã kết thúc')", timeout=MEDIA_WAIT)
    assert secretary.locator('button[data-action="end"]').count() == 0
    chair.wait_for_selector('#ended a[data-minutes][href^="/minutes/"]', timeout=MEDIA_WAIT)
    truthful(chair, "10-console-ended")
    truthful(vinh, "11-room-ended")
    truthful(ops, "12-ops-ended")

    # The record follows the floor rule: once TP Vinh has the floor nobody else's speaking turn starts,
    # and Vinh's turn lasts to the end.
    cookies = {c["name"]: c["value"] for c in chair.context.cookies()}
    record = httpx.get(f"{base_url}/api/meetings/{mid}/timeline", cookies=cookies).json()["events"]
    granted = next(e["at"] for e in record if e["kind"] == "grant_floor")
    after = [e for e in record if e["kind"] in ("speaking_started", "speaking_ended") and e["at"] > granted]
    assert {e["participant"] for e in after if e["kind"] == "speaking_started"} <= {"dc-vinh"}, after
    assert after and after[-1]["participant"] == "dc-vinh", after

    # The secretary reaches the draft from the meeting's page.
    secretary.wait_for_selector("#minutes-link a")
    assert "Nguyễn Văn An (Chủ tọa) cho phát biểu TP Vinh" in secretary.inner_text("#actions-list")
    truthful(secretary, "13-meeting-page-ended")
    secretary.click("#minutes-link a")
    secretary.wait_for_url("**/minutes/*")
    minutes_id = int(secretary.url.rstrip("/").rsplit("/", 1)[1])
    secretary.wait_for_selector("#sign")
    assert secretary.locator("#content-form button[type=submit]").count() > 0  # a draft is editable
    truthful(secretary, "14-minutes-draft")

    # Secretary, chair and clerk sign through the PIN dialogs, each reaching the minutes by a link.
    sign(secretary, "Thư ký", "15-pin-dialog-secretary")
    secretary.wait_for_selector("text=Thư ký đã ký", timeout=MEDIA_WAIT)
    assert secretary.locator("button:has-text('Lưu')").count() == 0  # signed: read-only
    preview_shown(secretary)
    truthful(secretary, "16-secretary-signed")
    chair.click('#ended a[data-minutes]')
    chair.wait_for_url(f"**/minutes/{minutes_id}")
    sign(chair, "Chủ tọa", "17-pin-dialog-chair")
    chair.wait_for_selector("text=Chủ tọa đã ký", timeout=MEDIA_WAIT)
    truthful(chair, "18-chair-signed")
    clerk.click("nav.mainnav >> text=Biên bản")
    clerk.wait_for_selector(f'tr[data-minutes="{minutes_id}"]')
    truthful(clerk, "19-minutes-list")
    clerk.click(f'tr[data-minutes="{minutes_id}"] a[href="/minutes/{minutes_id}"]')
    sign(clerk, "Văn thư", "20-pin-dialog-clerk")
    clerk.wait_for_selector("#code", timeout=MEDIA_WAIT)
    assert clerk.inner_text("#code").endswith("/BB-UBND")
    assert clerk.locator("button:has-text('Lưu')").count() == 0
    preview_shown(clerk)
    truthful(clerk, "21-issued")

    pdf = httpx.get(f"{base_url}/api/minutes/{minutes_id}/pdf",
                    cookies={c["name"]: c["value"] for c in contexts[0].cookies()}).content
    (SHOTS / "minutes-signed.pdf").write_bytes(pdf)  # for a person to open beside the screenshots
    report = pdfsig(pdf, tmp_path)
    assert report.count("Signature Validation: Signature is Valid.") == 3, report
