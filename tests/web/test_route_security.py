"""Every route of the whole app, whichever package adds it: anonymous → 401, a role it does not admit → 403.
A route that forgets to declare its roles fails here, so nothing can slip out unprotected."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import Mount
from starlette.websockets import WebSocketDisconnect

from core.access import RoleCheck
from core.people import Role
from web.authn import is_public

DEMO_USER = {Role.admin: "admin", Role.chair: "chutoa", Role.secretary: "thuky", Role.clerk: "vanthu",
             Role.specialist: "chuyenvien", Role.officer: "motcua", Role.operator: "vanhanh",
             Role.endpoint: "dc-vinh"}


def role_checks(dependant) -> list[RoleCheck]:  # type: ignore[no-untyped-def]
    found = [d.call for d in dependant.dependencies if isinstance(d.call, RoleCheck)]
    for sub in dependant.dependencies:
        found += role_checks(sub)
    return found


def admitted(route) -> frozenset[Role]:  # type: ignore[no-untyped-def]
    checks = role_checks(route.dependant)
    roles = frozenset(Role)
    for check in checks:
        roles &= check.roles
    return roles


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def all_routes(app):  # type: ignore[no-untyped-def]
    """Every route as served, through included routers (their prefixes and dependencies applied)."""
    return list(iter_route_contexts(app.routes))


def websocket_routes(app):  # type: ignore[no-untyped-def]
    return [r for r in all_routes(app) if isinstance(r.original_route, APIWebSocketRoute)]


def test_every_route_is_public_or_role_checked(app) -> None:  # type: ignore[no-untyped-def]
    unprotected, seen = [], 0
    for route in all_routes(app):
        if isinstance(route.original_route, Mount):
            assert route.path.startswith("/static/"), f"unexpected mount {route.path}"
            continue
        assert isinstance(route.original_route, APIRoute | APIWebSocketRoute), f"unknown route {route}"
        seen += 1
        if not is_public(route.path) and not role_checks(route.dependant):
            unprotected.append(route.path)
    assert unprotected == [], f"routes without a role check: {unprotected}"
    assert seen >= 15


def _api_routes(app):  # type: ignore[no-untyped-def]
    for route in all_routes(app):
        if isinstance(route.original_route, APIRoute) and not is_public(route.path):
            for method in sorted(route.methods - {"HEAD"}):
                yield route, method


def test_anonymous_requests_get_401(app) -> None:  # type: ignore[no-untyped-def]
    client = TestClient(app)
    failures = []
    for route, method in _api_routes(app):
        r = client.request(method, concrete(route.path))
        if r.status_code != 401:
            failures.append(f"{method} {route.path}: {r.status_code}")
    for route in websocket_routes(app):
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(concrete(route.path)) as ws:
            ws.receive_json()  # accepted, then closed with the code
        if closed.value.code != 4401:
            failures.append(f"WS {route.path}: close {closed.value.code}")
    assert failures == []


def test_wrong_role_gets_403(app, login) -> None:  # type: ignore[no-untyped-def]
    clients: dict[Role, TestClient] = {}
    failures, checked = [], 0
    for route, method in _api_routes(app):
        outsiders = sorted(set(Role) - admitted(route))
        if not outsiders:
            continue  # open to every authenticated person
        role = outsiders[0]
        if role not in clients:
            clients[role] = TestClient(app)
            login(clients[role], DEMO_USER[role])
        r = clients[role].request(method, concrete(route.path))
        checked += 1
        if r.status_code != 403:
            failures.append(f"{method} {route.path} as {role}: {r.status_code}")
    for route in websocket_routes(app):
        outsiders = sorted(set(Role) - admitted(route))
        if not outsiders:
            continue
        client = TestClient(app)
        login(client, DEMO_USER[outsiders[0]])
        with pytest.raises(WebSocketDisconnect) as closed, client.websocket_connect(concrete(route.path)) as ws:
            ws.receive_json()  # accepted, then closed with the code
        checked += 1
        if closed.value.code != 4403:
            failures.append(f"WS {route.path}: close {closed.value.code}")
    assert failures == []
    assert checked >= 3  # the admin routes at least


def test_a_real_server_closes_refused_sockets_with_the_documented_codes(app, login) -> None:  # type: ignore[no-untyped-def]
    """Over uvicorn a socket closed during the handshake arrives as HTTP 403; these are accepted, then closed."""
    import asyncio

    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    from tests.conftest import serve_in_thread

    async def close_code(url: str, headers: dict[str, str]) -> int | None:
        async with connect(url, additional_headers=headers) as ws:
            try:
                await asyncio.wait_for(ws.recv(), 10)
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None
        return None

    with serve_in_thread(app) as base:
        token = login(TestClient(app), "motcua")["access_token"]  # the one-stop desk may not watch /ops
        ws_url = base.replace("http", "ws") + "/ops/ws"
        assert asyncio.run(close_code(ws_url, {})) == 4401
        assert asyncio.run(close_code(ws_url, {"Authorization": f"Bearer {token}"})) == 4403
