"""The endpoint's HTTP side of the public API: login for a bearer token, the meetings it is invited
to, and its health reports. Every failure is sorted into retry-worthy or fatal (see errors.py)."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from endpoints.credentials import Credentials
from endpoints.errors import BadCredentials, FatalEndpointError, ServerUnavailable

log = logging.getLogger(__name__)


def _reason(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text


class ServerClient:
    def __init__(self, server: str, credentials: Credentials, timeout: float = 15.0) -> None:
        parts = urlsplit(server.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FatalEndpointError(f"--server must be an http(s) URL like http://127.0.0.1:8000, not {server!r}")
        self.base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
        self.credentials = credentials
        self.token: str | None = None
        self.user: dict[str, Any] = {}
        # Generous: a busy server answering late is better than a retry that adds to its load.
        self._http = httpx.AsyncClient(base_url=self.base, timeout=httpx.Timeout(timeout, connect=5.0))

    async def close(self) -> None:
        await self._http.aclose()

    def ws_url(self, meeting_id: int) -> str:
        parts = urlsplit(self.base)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return urlunsplit((scheme, parts.netloc, f"{parts.path}/ws/meetings/{meeting_id}", "", ""))

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            response = await self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ServerUnavailable(f"{method} {self.base}{path}: {_reason(exc)}") from exc
        if response.status_code >= 500:
            raise ServerUnavailable(f"{method} {self.base}{path}: HTTP {response.status_code}")
        return response

    async def login(self) -> dict[str, Any]:
        response = await self._send("POST", "/api/auth/login", json={
            "username": self.credentials.username, "password": self.credentials.password})
        if response.status_code in (401, 403, 423):
            detail = _detail(response)
            raise BadCredentials(f"Đăng nhập bị từ chối / login refused for {self.credentials.username} "
                                 f"(HTTP {response.status_code}): {detail}")
        if response.status_code != 200:
            raise FatalEndpointError(f"login: unexpected HTTP {response.status_code} from {self.base}: "
                                     f"{_detail(response)}")
        body = response.json()
        if body.get("user", {}).get("role") != "endpoint":
            raise BadCredentials(f"{self.credentials.username} is not an endpoint account "
                                 f"(role {body.get('user', {}).get('role')!r})")
        self.token, self.user = body["access_token"], body["user"]
        return self.user

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authenticated call; a 401 (token expired or revoked) logs in again once."""
        if self.token is None:
            await self.login()
        response = await self._send(method, path, headers=self.headers, **kwargs)
        if response.status_code == 401:
            await self.login()
            response = await self._send(method, path, headers=self.headers, **kwargs)
        return response

    async def live_meeting(self) -> dict[str, Any] | None:
        """The live meeting this endpoint is invited to, if any (the earliest started)."""
        response = await self.request("GET", "/api/meetings", params={"status": "live"})
        if response.status_code != 200:
            raise ServerUnavailable(f"GET /api/meetings: HTTP {response.status_code}: {_detail(response)}")
        body = response.json()
        meetings = body.get("meetings", body.get("items", [])) if isinstance(body, dict) else body
        me = self.credentials.username
        live = [m for m in meetings if m.get("status") == "live"
                and (not m.get("invited") or any(_username(i) == me for i in m["invited"]))]
        live.sort(key=lambda m: (m.get("started_at") or "", m.get("id", 0)))
        return live[0] if live else None

    async def report_health(self, endpoint_id: str, report: dict[str, Any]) -> None:
        response = await self.request("POST", f"/api/endpoints/{endpoint_id}/health", json=report)
        if response.status_code >= 400:
            log.warning("health report refused: HTTP %s %s", response.status_code, _detail(response))


def _username(invited: Any) -> str:
    return invited.get("username", "") if isinstance(invited, dict) else str(invited)


def _detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail", body) if isinstance(body, dict) else body)[:300]
