"""What stands between a foreign page (or a file, or a camera address) and the people logged in here:
Origin checks on cookie-authenticated writes and sockets, the headers every answer carries, the Secure
cookie behind a TLS proxy, validation that fetches only from the province CA, and a camera live view that
does not report what an internal address answered."""

from __future__ import annotations

import asyncio
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from core.db import engine_for, session_factory, session_scope
from ops_center.models import Camera
from tests.conftest import DEMO_PASSWORD, serve_in_thread

MEETING = {"title": "Giao ban", "scheduled_at": "2026-11-25T08:00", "chair": "chutoa", "invited": ["dc-vinh"]}


def test_cross_site_writes_with_the_cookie_are_refused(client, login, auth_headers) -> None:  # type: ignore[no-untyped-def]
    login(client, "chutoa")
    evil = {"Origin": "https://evil.example"}
    assert client.post("/api/meetings", json=MEETING, headers=evil).status_code == 403
    meeting = client.post("/api/meetings", json=MEETING, headers={"Origin": "http://testserver"})
    assert meeting.status_code == 201, meeting.text  # the site's own pages
    mid = meeting.json()["id"]
    assert client.post(f"/api/meetings/{mid}/start", headers=evil).status_code == 403
    assert client.post(f"/api/meetings/{mid}/start", headers={"Referer": "https://evil.example/x"}).status_code == 403
    assert client.post(f"/api/meetings/{mid}/start", headers={"Origin": "null"}).status_code == 403
    assert client.get(f"/api/meetings/{mid}", headers=evil).json()["status"] == "scheduled"  # reads go on
    bearer = auth_headers(client, "chutoa")  # a program with a token is not a browser: no Origin rule
    assert client.post(f"/api/meetings/{mid}/start", headers=bearer | evil).status_code == 200
    client = TestClient(client.app)
    login(client, "vanthu")
    draft = client.post("/api/documents/incoming", headers={"Origin": "http://testserver"}, json={
        "doc_type": "CV", "abstract": "Công văn", "issuer_name": "Sở Tư pháp"})
    assert draft.status_code == 201, draft.text
    draft = draft.json()
    upload = client.post(f"/api/documents/{draft['id']}/attachments", headers=evil,
                         files={"file": ("a.png", b"\x89PNG\r\n\x1a\n")})
    assert upload.status_code == 403
    refused_login = client.post("/login", data={"username": "vanthu", "password": DEMO_PASSWORD}, headers=evil)
    assert refused_login.status_code == 403  # nor may a foreign page log the browser into an account
    client = TestClient(client.app)
    login(client, "vanhanh")
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect("/ops/ws", headers=evil) as ws:
        ws.receive_json()
    assert closed.value.code == 4403


def test_every_answer_carries_the_browser_headers(client, login) -> None:  # type: ignore[no-untyped-def]
    for path in ("/api/health", "/login", "/api/documents"):
        headers = client.get(path).headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"], path
        assert "script-src 'self'" in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY" and headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
    answer = client.post("/api/auth/login", json={"username": "vanthu", "password": DEMO_PASSWORD})
    assert "secure" not in answer.headers["set-cookie"].lower()  # plain HTTP, no proxy: no Secure flag
    with TestClient(client.app, base_url="https://testserver") as tls:
        answer = tls.post("/api/auth/login", json={"username": "vanthu", "password": DEMO_PASSWORD})
        assert "; Secure" in answer.headers["set-cookie"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(app, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from web.cli import proxy_options

    body = {"username": "vanthu", "password": DEMO_PASSWORD}
    monkeypatch.setattr(settings, "forwarded_allow_ips", "127.0.0.1")
    with serve_in_thread(app, **proxy_options(settings)) as base:  # as `giaoban serve` runs it
        behind = httpx.post(f"{base}/api/auth/login", json=body, headers={"X-Forwarded-Proto": "https"}, timeout=120)
        direct = httpx.post(f"{base}/api/auth/login", json=body, timeout=120)
    assert "; Secure" in behind.headers["set-cookie"] and "Secure" not in direct.headers["set-cookie"]
    monkeypatch.setattr(settings, "forwarded_allow_ips", "")
    with serve_in_thread(app, **proxy_options(settings)) as base:  # the default: a client cannot claim TLS
        claimed = httpx.post(f"{base}/api/auth/login", json=body, headers={"X-Forwarded-Proto": "https"}, timeout=120)
    assert "Secure" not in claimed.headers["set-cookie"]


class _Counting(BaseHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        _Counting.hits.append(self.path)
        body = b'{"service": "internal"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def internal_service():  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Counting.hits = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_validation_fetches_only_from_the_province_ca(internal_service) -> None:  # type: ignore[no-untyped-def]
    from documents.minutes.verification import _only_from

    async def fetch(url: str) -> int:
        trace = _only_from([f"{internal_service}/pki/"])
        async with aiohttp.ClientSession(trace_configs=[trace]) as http, http.get(url) as answer:
            return answer.status

    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(fetch(f"{internal_service}/aia-ca.cer"))  # an address a certificate in a file names
    assert _Counting.hits == []  # refused before connecting
    assert asyncio.run(fetch(f"{internal_service}/pki/issuing.crl")) == 200
    assert _Counting.hits == ["/pki/issuing.crl"]


def test_live_view_of_an_internal_address_says_nothing_of_it(client, auth_headers, settings,
                                                              internal_service) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        s.add(Camera(name="Camera lạ", stream_url=f"{internal_service}/admin", zones=[], masks=[]))
        s.flush()
        cam_id = s.execute(select(Camera.id).where(Camera.name == "Camera lạ")).scalar_one()
    answer = client.get(f"/api/ops/cameras/{cam_id}/live.mjpg", headers=auth_headers(client, "vanhanh"))
    assert answer.status_code == 502
    assert "200" not in answer.text and "json" not in answer.text.lower() and "internal" not in answer.text
    closed = client.get(f"/api/ops/cameras/{cam_id}/live.mjpg", headers=auth_headers(client, "vanhanh"))
    assert closed.json() == answer.json()  # the same words whatever the address answered or refused
