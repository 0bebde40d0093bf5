"""Logging in, wrong passwords, lockout, tokens and validation errors, as a person or client sees them."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from core.audit import AuditEntry
from tests.conftest import DEMO_PASSWORD


def test_login_gives_token_and_cookie(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", json={"username": "vanthu", "password": DEMO_PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["user"]["role"] == "clerk" and body["user"]["unit"] == "000.00.01.H41"
    assert client.get("/api/auth/me").json()["username"] == "vanthu"  # via cookie
    client.cookies.clear()
    assert client.get("/api/auth/me").status_code == 401
    me = client.get("/api/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.status_code == 200 and me.json()["full_name"] == "Lê Thị Cúc"


def test_wrong_password_is_401_with_message(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", json={"username": "vanthu", "password": "sai-mat-khau"})
    assert r.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in r.json()["detail"]
    r = client.post("/api/auth/login?lang=en", json={"username": "nobody", "password": "x"})
    assert r.status_code == 401 and r.json()["detail"].startswith("Wrong username or password")


def _login(app, address: str, username: str, password: str) -> httpx.Response:  # type: ignore[no-untyped-def]
    return TestClient(app, client=(address, 40000)).post("/api/auth/login",
                                                         json={"username": username, "password": password})


def test_an_attacker_cannot_lock_out_the_real_user_and_administrators_see_it(app, client,  # type: ignore[no-untyped-def]
                                                                             auth_headers, session) -> None:
    attacker = TestClient(app, client=("203.0.113.7", 40000))
    statuses = [attacker.post("/api/auth/login", json={"username": "thuky", "password": f"doan-{i}"}).status_code
                for i in range(100)]
    # After ten wrong passwords the address waits: no further password is even tried.
    assert statuses[:10] == [401] * 10 and set(statuses[10:]) == {429}
    assert int(attacker.post("/api/auth/login", json={"username": "thuky", "password": "x"}).headers["retry-after"]) > 0
    real = _login(app, "198.51.100.20", "thuky", DEMO_PASSWORD)
    assert real.status_code == 200, real.text
    # ... and is told what happened to the account meanwhile.
    assert real.json()["notice"] == {"failed_logins": 10, "addresses": ["203.0.113.7"], "since": None}
    assert _login(app, "198.51.100.20", "thuky", DEMO_PASSWORD).json()["notice"] is None
    admin = auth_headers(client, "admin")
    deadline = time.monotonic() + 15
    alerts: list[dict] = []
    while time.monotonic() < deadline and not alerts:
        alerts = [a for a in client.get("/api/ops/alerts?status=all", headers=admin).json()
                  if a["kind"] == "login_attack"]
        time.sleep(0.2)
    assert alerts and "203.0.113.7" in alerts[0]["title"] and alerts[0]["severity"] == "critical"
    entries = session.execute(select(AuditEntry.action, AuditEntry.detail).where(AuditEntry.actor == "thuky")).all()
    assert [a for a, _ in entries].count("auth.failed") == 10
    assert all(json.loads(d)["door"] == "web" for a, d in entries if a.startswith("auth."))
    assert "auth.throttled" in [a for a, _ in entries]


def test_a_locked_name_answers_like_an_unknown_one(app, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    assert _login(app, "198.51.100.20", "thuky", DEMO_PASSWORD).status_code == 200  # her usual address
    for name in ("thuky", "khong-co-ai"):
        # Wrong passwords for one name from three addresses: a distributed guess locks the name.
        for i in range(10):
            assert _login(app, f"203.0.113.{i % 3 + 1}", name, "doan").status_code == 401
    locked = _login(app, "198.51.100.30", "thuky", DEMO_PASSWORD)
    unknown = _login(app, "198.51.100.30", "khong-co-ai", DEMO_PASSWORD)
    assert (locked.status_code, locked.json()) == (unknown.status_code, unknown.json()) == (401, unknown.json())
    # The lock does not apply where the account logged in before; an administrator can lift it.
    assert _login(app, "198.51.100.20", "thuky", DEMO_PASSWORD).status_code == 200
    admin = auth_headers(client, "admin")
    thuky = next(u for u in client.get("/api/users", headers=admin).json() if u["username"] == "thuky")
    assert client.patch(f"/api/users/{thuky['id']}", json={"unlock": True}, headers=admin).status_code == 200
    assert _login(app, "198.51.100.30", "thuky", DEMO_PASSWORD).status_code == 200


def test_tokens_have_their_audience_and_never_come_from_the_url(client, login) -> None:  # type: ignore[no-untyped-def]
    token = login(client, "chutoa")["access_token"]
    client.cookies.clear()
    assert client.get(f"/api/auth/me?access_token={token}").status_code == 401
    with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(f"/ops/ws?access_token={token}") as ws:
        ws.receive_json()
    assert closed.value.code == 4401


def test_logout_revokes_the_token(client, login) -> None:  # type: ignore[no-untyped-def]
    token = login(client, "vanhanh")["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/auth/logout", headers=headers).status_code == 200
    client.cookies.clear()
    assert client.get("/api/auth/me", headers=headers).status_code == 401


def test_malformed_json_and_fields_are_422_naming_the_field(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/api/auth/login", content=b'{"username": "a",', headers={"content-type": "application/json"})
    assert r.status_code == 422 and "JSON" in r.json()["message"]
    r = client.post("/api/auth/login", json={"username": "a"})
    assert r.status_code == 422 and r.json()["fields"] == ["password"]
    headers = auth_headers(client, "admin")
    r = client.post("/api/users", headers=headers, json={"username": "Bad Name", "role": "king", "full_name": "",
                                                         "password": "short"})
    assert r.status_code == 422
    assert set(r.json()["fields"]) == {"username", "role", "full_name", "password"}


def test_admin_creates_user_who_can_log_in(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    headers = auth_headers(client, "admin")
    new = {"username": "vt.namdan", "role": "clerk", "full_name": "Nguyễn Thị Lan", "unit_code": "000.00.37.H41",
           "password": "mat-khau-moi-1"}
    r = client.post("/api/users", headers=headers, json=new)
    assert r.status_code == 201 and r.json()["unit_name"] == "Nam Đàn"
    assert client.post("/api/users", headers=headers, json=new).status_code == 409
    bad_unit = client.post("/api/users", headers=headers, json=new | {"username": "x2", "unit_code": "999.99.99.Z99"})
    assert bad_unit.status_code == 422 and "unit_code" in bad_unit.json()["detail"]
    again = client.post("/api/auth/login", json={"username": "vt.namdan", "password": "mat-khau-moi-1"})
    assert again.status_code == 200


def test_pages_redirect_to_login_and_api_says_401(client) -> None:  # type: ignore[no-untyped-def]
    r = client.get("/", headers={"Accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/"
    assert client.get("/").status_code == 401
    page = client.get("/login")
    assert page.status_code == 200 and "Đăng nhập" in page.text


def test_login_form_rejects_open_redirect(client) -> None:  # type: ignore[no-untyped-def]
    r = client.post("/login", data={"username": "vanthu", "password": DEMO_PASSWORD, "next": "https://evil.example/"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_health_reports_database(client) -> None:  # type: ignore[no-untyped-def]
    assert client.get("/api/health").json() == {"status": "ok", "database": "ok"}
