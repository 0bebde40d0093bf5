"""Helpers for the conference tests: scheduling a meeting through the API and talking protocol v1."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import auth_headers

ENDPOINTS = ["dc-vinh", "dc-cualo", "dc-thaihoa"]


def schedule_meeting(client, invited: list[str] | None = None, **extra: Any) -> dict:  # type: ignore[no-untyped-def]
    body = {"title": "Giao ban trực tuyến tháng 11/2026", "place": "Phòng họp trực tuyến UBND tỉnh",
            "scheduled_at": "2026-11-25T08:00:00+07:00", "chair": "chutoa", "secretary": "thuky",
            "invited": invited or ENDPOINTS,
            "agenda": [{"title": "Tình hình kinh tế - xã hội tháng 11", "presenter": "Sở KH&ĐT", "minutes": 20},
                       {"title": "Ý kiến các địa phương"}], **extra}
    response = client.post("/api/meetings", json=body, headers=auth_headers(client, "thuky"))
    assert response.status_code == 201, response.text
    return response.json()


def socket(client, meeting_id: int, username: str):  # type: ignore[no-untyped-def]
    return client.websocket_connect(f"/ws/meetings/{meeting_id}", headers=auth_headers(client, username))


def send(ws, **message: Any) -> None:  # type: ignore[no-untyped-def]
    ws.send_text(json.dumps({"v": 1, **message}))


def receive_until(ws, kind: str, limit: int = 50) -> dict:  # type: ignore[no-untyped-def]
    """The next message of type `kind`, skipping others (events interleave with replies)."""
    for _ in range(limit):
        message = ws.receive_json()
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind} message within {limit} messages")


def join(ws, meeting_id: int, role: str) -> dict:  # type: ignore[no-untyped-def]
    send(ws, type="join", meeting=meeting_id, role=role, ref="j")
    reply = ws.receive_json()
    assert reply["type"] == "welcome", reply
    return reply
