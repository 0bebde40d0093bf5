"""The abstract of a confidential document never reaches people outside its circle through the bus:
not in the events themselves, not in the alerts the operations center raises from them, not on the
dashboard (REST or its WebSocket)."""

from __future__ import annotations

import asyncio
import json
import time

import httpx

from core.bus import InProcessBus, set_bus

SECRET = "Phương án bảo vệ mục tiêu trọng điểm TM-7731"
PLAIN = "Kế hoạch tổ chức hội nghị giao ban quý III"


def incoming(abstract: str, confidentiality: str) -> dict[str, object]:
    return {"doc_type": "CV", "code": "88/CV-CAT", "abstract": abstract, "issuer_name": "Công an tỉnh",
            "urgency": "hoa_toc", "confidentiality": confidentiality, "register_now": True}


async def test_no_event_alert_or_dashboard_shows_a_confidential_abstract(app) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus()
    set_bus(bus)
    seen: list[tuple[str, dict]] = []

    async def listen() -> None:
        async for topic, event in bus.subscribe(""):
            seen.append((topic, event))

    task = asyncio.create_task(listen())
    try:
        async with app.router.lifespan_context(app), httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://giaoban.test") as c:
            async def headers(user: str) -> dict[str, str]:
                r = await c.post("/api/auth/login", json={"username": user, "password": "giaoban-demo"})
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            clerk = await headers("vanthu")
            secret = await c.post("/api/documents/incoming", json=incoming(SECRET, "toi_mat"), headers=clerk)
            plain = await c.post("/api/documents/incoming", json=incoming(PLAIN, "thuong"), headers=clerk)
            assert secret.status_code == plain.status_code == 201, secret.text
            deadline = time.monotonic() + 5
            alerts: list = []
            while time.monotonic() < deadline:  # both urgent documents raise an alert
                op = await headers("vanhanh")
                alerts = (await c.get("/api/ops/alerts", params={"status": "all"}, headers=op)).json()
                if sum(a["kind"] == "urgent_document" for a in alerts) >= 2:
                    break
                await asyncio.sleep(0.05)
            assert sum(a["kind"] == "urgent_document" for a in alerts) >= 2, alerts
            payloads = {"alerts": alerts}
            for user in ("vanhanh", "admin"):
                h = await headers(user)
                payloads[f"alerts-{user}"] = (await c.get("/api/ops/alerts", params={"status": "all"},
                                                          headers=h)).json()
                payloads[f"dashboard-{user}"] = (await c.get("/api/ops/dashboard", headers=h)).json()
            # The clerk of the keeping unit still reads it where her rights allow.
            kept = await c.get(f"/api/documents/{secret.json()['id']}", headers=clerk)
            assert kept.json()["abstract"] == SECRET
    finally:
        task.cancel()
        set_bus(None)
    events = [e for t, e in seen if t.startswith("documents.")]
    assert events and any(e.get("abstract") == PLAIN for e in events)  # the plain one is announced as before
    assert all(SECRET not in json.dumps(e, ensure_ascii=False) for _, e in seen)
    assert all(e["confidential"] for e in events if e["id"] == secret.json()["id"])
    for name, body in payloads.items():
        assert SECRET not in json.dumps(body, ensure_ascii=False), name
    assert PLAIN in json.dumps(payloads["alerts"], ensure_ascii=False)
