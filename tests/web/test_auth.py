"""Logging in, wrong passwords, lockout, tokens and validation errors, as a person or client sees them."""

from __future__ import annotations

from sqlalchemy import select

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
    assert r.status_code == 401 and r.json()["detail"] == "Wrong username or password"


def test_ten_failures_lock_the_account_and_are_audited(client, session) -> None:  # type: ignore[no-untyped-def]
    for _ in range(10):
        assert client.post("/api/auth/login", json={"username": "thuky", "password": "wrong-pass"}).status_code == 401
    locked = client.post("/api/auth/login", json={"username": "thuky", "password": DEMO_PASSWORD})
    assert locked.status_code == 423
    assert "tạm khóa" in locked.json()["detail"]
    actions = list(session.execute(select(AuditEntry.action).where(AuditEntry.actor == "thuky")).scalars())
    assert actions.count("auth.failed") == 10
    assert "auth.locked" in actions and actions[-1] == "auth.refused_locked"
    # other people are unaffected; an admin can unlock
    admin = client.post("/api/auth/login", json={"username": "admin", "password": DEMO_PASSWORD}).json()
    users = client.get("/api/users", headers={"Authorization": f"Bearer {admin['access_token']}"}).json()
    thuky = next(u for u in users if u["username"] == "thuky")
    client.patch(f"/api/users/{thuky['id']}", json={"unlock": True},
                 headers={"Authorization": f"Bearer {admin['access_token']}"})
    assert client.post("/api/auth/login", json={"username": "thuky", "password": DEMO_PASSWORD}).status_code == 200


def test_success_resets_the_failure_count(client) -> None:  # type: ignore[no-untyped-def]
    for _ in range(9):
        client.post("/api/auth/login", json={"username": "chuyenvien", "password": "wrong-pass"})
    assert client.post("/api/auth/login", json={"username": "chuyenvien", "password": DEMO_PASSWORD}).status_code == 200
    for _ in range(9):
        client.post("/api/auth/login", json={"username": "chuyenvien", "password": "wrong-pass"})
    assert client.post("/api/auth/login", json={"username": "chuyenvien", "password": DEMO_PASSWORD}).status_code == 200


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
