"""The operations map of the communes set in real Chromium: 130 communes and wards, each label readable (its
own tile, at its font size, no two label boxes overlapping at any width), coloured by the live meeting."""

from __future__ import annotations

import json
from contextlib import ExitStack

import cv2
import httpx
import numpy as np
import pytest
from sqlalchemy import select
from websockets.sync.client import connect

from core.db import engine_for, session_factory, session_scope
from core.people import Role, User
from core.unit_sets import local_units
from ops_center.models import Camera
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser

CONNECTED = ["phuong-truongvinh", "xa-muongxen", "xa-quynhluu"]
# For every label: its box, its tile's box, its font size; then every pair of label boxes that intersect.
MEASURE = """() => {
  const svg = document.querySelector('#unitmap svg');
  const tiles = [...svg.querySelectorAll('.tile')].map((g) => {
    const text = g.querySelector('text'), rect = g.querySelector('rect');
    const t = text.getBoundingClientRect(), r = rect.getBoundingClientRect();
    return {unit: g.dataset.unit, status: g.dataset.status, label: text.textContent,
            stroke: rect.getAttribute('stroke'),
            text: [t.left, t.top, t.right, t.bottom], tile: [r.left, r.top, r.right, r.bottom],
            font: parseFloat(getComputedStyle(text).fontSize)};
  });
  const overlaps = [];
  for (let i = 0; i < tiles.length; i++) for (let j = i + 1; j < tiles.length; j++) {
    const a = tiles[i].text, b = tiles[j].text;
    if (a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]) overlaps.push([tiles[i].label, tiles[j].label]);
  }
  const box = svg.getBoundingClientRect();
  return {tiles, overlaps, scale: box.width / svg.viewBox.baseVal.width, origin: [box.left, box.top],
          card: document.querySelector('.unitmap').getBoundingClientRect().width,
          grid: document.querySelector('.ops-grid').getBoundingClientRect().width};
}"""


@pytest.fixture
def unit_set() -> str:
    return "communes"


def _token(base: str, username: str) -> str:
    reply = httpx.post(f"{base}/api/auth/login", json={"username": username, "password": DEMO_PASSWORD},
                       timeout=120)
    assert reply.status_code == 200, reply.text
    return reply.json()["access_token"]


def _live_meeting_of_all_communes(base: str, invited: list[str]) -> int:
    headers = {"Authorization": f"Bearer {_token(base, 'thuky')}"}
    created = httpx.post(f"{base}/api/meetings", headers=headers, json={
        "title": "Giao ban trực tuyến với 130 xã, phường", "scheduled_at": "2026-11-25T08:00:00+07:00",
        "chair": "chutoa", "secretary": "thuky", "invited": invited})
    assert created.status_code == 201, created.text
    meeting_id = created.json()["id"]
    assert httpx.post(f"{base}/api/meetings/{meeting_id}/start", headers=headers).status_code == 200
    return meeting_id


def _check(page, expected: dict[str, str], down: str) -> dict:  # type: ignore[no-untyped-def]
    seen = page.evaluate(MEASURE)
    tiles = seen["tiles"]
    assert len(tiles) == 130
    assert {t["unit"]: t["status"] for t in tiles} == expected
    assert seen["overlaps"] == []
    assert seen["scale"] == pytest.approx(1.0)  # drawn at its own size: labels are not shrunk
    assert seen["card"] == pytest.approx(seen["grid"], abs=1)  # the tile map takes the whole width
    for t in tiles:
        assert t["font"] >= 12, t
        x0, y0, x1, y1 = t["text"]
        tx0, ty0, tx1, ty1 = t["tile"]
        assert tx0 <= x0 and x1 <= tx1 and ty0 <= y0 and y1 <= ty1, f"{t['label']} spills out of its tile"
        assert (t["stroke"] == "#e07b00") == (t["unit"] == down)
    return seen


def _pixels_agree(png: bytes, seen: dict) -> None:
    """What the screenshot shows: each tile has its state's fill and dark text pixels inside it."""
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    fills = {"connected": (0xea, 0xf4, 0xe6), "missing": (0xea, 0xe7, 0xfd)}  # BGR
    ox, oy = seen["origin"]
    for t in seen["tiles"]:
        x0, y0, x1, y1 = (round(v) for v in (t["tile"][0] - ox, t["tile"][1] - oy, t["tile"][2] - ox,
                                              t["tile"][3] - oy))
        inside = image[y0 + 2:y1 - 2, x0 + 2:x1 - 2].reshape(-1, 3).astype(int)
        fill = np.all(np.abs(inside - fills[t["status"]]) <= 3, axis=1).mean()
        ink = (inside.sum(axis=1) < 3 * 140).sum()
        assert fill > 0.5 and ink > 15, f"{t['label']}: {fill:.0%} fill, {ink} text pixels"


def test_map_of_130_communes_is_readable_and_live(browser_page, settings, live_server, tmp_path) -> None:  # type: ignore[no-untyped-def]
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as s:
        communes = local_units(s)
        muong_xen = next(u for u in communes if u.short_name == "Xã Mường Xén")
        # A camera of a commune that reports nothing (no ingest here): the map rings the commune orange.
        s.add(Camera(name="Cầu Mường Xén", stream_url="rtsp://127.0.0.1:9/none", unit_id=muong_xen.id,
                     zones=[], masks=[]))
        endpoint_of = {u.unit.code: u.username
                       for u in s.execute(select(User).where(User.role == Role.endpoint.value)).scalars()}
        down = muong_xen.code
    assert set(endpoint_of) == {u.code for u in communes}
    meeting_id = _live_meeting_of_all_communes(live_server, list(endpoint_of.values()))
    expected = {code: "connected" if name in CONNECTED else "missing" for code, name in endpoint_of.items()}
    ws_base = live_server.replace("http://", "ws://")
    with ExitStack() as sockets:
        for name in CONNECTED:
            ws = sockets.enter_context(connect(f"{ws_base}/ws/meetings/{meeting_id}", additional_headers={
                "Authorization": f"Bearer {_token(live_server, name)}"}))
            ws.send(json.dumps({"v": 1, "type": "join", "ref": "1", "meeting": meeting_id, "role": "district"}))
            assert json.loads(ws.recv(timeout=20))["type"] == "welcome"
        page = browser_page
        page.set_default_timeout(60_000)
        page.set_viewport_size({"width": 1600, "height": 1000})
        page.goto("/ops")
        page.fill("input[name=username]", "vanhanh")
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        assert page.inner_text(".unitmap h2") == "Sơ đồ xã, phường"
        page.wait_for_function("document.querySelectorAll('#unitmap .tile[data-status=connected]').length === 3",
                               timeout=30000)
        wide = _check(page, expected, down)
        png = page.locator("#unitmap svg").screenshot(path=str(tmp_path / "unitmap-1600.png"))
        _pixels_agree(png, wide)
        # West to east: the mountain commune of Kỳ Sơn lies left of the coastal one of Quỳnh Lưu, and Vinh's
        # ward below both of the northern ones.
        at = {t["label"]: t["tile"] for t in wide["tiles"]}
        assert at["Mường Xén"][0] < at["Quỳnh Lưu"][0] and at["Trường Vinh"][1] > at["Quỳnh Lưu"][1]

        # A narrow screen (one column of cards): fewer columns of tiles, still nothing overlapping.
        width = "Number(document.querySelector('#unitmap svg').getAttribute('width'))"
        before = page.evaluate(width)
        page.set_viewport_size({"width": 760, "height": 1000})
        page.wait_for_function(f"{width} < {before}")
        narrow = _check(page, expected, down)
        assert len({round(t["tile"][0]) for t in narrow["tiles"]}) < len({round(t["tile"][0]) for t in wide["tiles"]})
        page.screenshot(path=str(tmp_path / "ops-760.png"), full_page=True)
