"""The dossier workflow through the API: receipt at the one-stop desk, processing with a pause, approval,
return; role checks, refused transitions and bad input leave nothing half-written."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest
from sqlalchemy import func, select

from core.bus import InProcessBus, set_bus
from core.db import engine_for, session_factory
from documents.dossiers.models import Dossier, DossierCounter, DossierEvent

TODAY_CODE = re.compile(r"^000\.00\.08\.H41-\d{6}-(\d{4})$")


def counts(settings) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    with session_factory(engine_for(settings.database_url))() as s:
        return (s.execute(select(func.count()).select_from(Dossier)).scalar_one(),
                s.execute(select(func.count()).select_from(DossierEvent)).scalar_one(),
                s.execute(select(func.coalesce(func.sum(DossierCounter.last), 0))).scalar_one())


def receipt(**extra: object) -> dict[str, object]:
    return {"procedure_code": "H41.SGTVT.01", "applicant_name": "Nguyễn Văn Bình",
            "applicant_id_number": "040123456789", "applicant_phone": "0912345678",
            "applicant_address": "Hưng Dũng, TP Vinh"} | extra


def test_full_workflow_with_roles(client, catalog, auth_headers, settings) -> None:  # type: ignore[no-untyped-def]
    officer, specialist, chair = (auth_headers(client, u) for u in ("motcua", "cv-gtvt", "gd-gtvt"))
    r = client.post("/api/dossiers", json=receipt(), headers=officer)
    assert r.status_code == 201, r.text
    d = r.json()
    assert TODAY_CODE.match(d["code"]).group(1) == "0001"
    assert d["status"] == 2 and d["due_date"] and d["received_at"]
    second = client.post("/api/dossiers", json=receipt(applicant_name="Trần Thị Lan"), headers=officer).json()
    assert TODAY_CODE.match(second["code"]).group(1) == "0002"

    def act(headers: dict[str, str], action: str, comment: str = "") -> httpx.Response:
        return client.post(f"/api/dossiers/{d['id']}/actions", json={"action": action, "comment": comment},
                           headers=headers)

    assert act(chair, "start").status_code == 403  # chairs approve, specialists process
    assert act(officer, "return_result").status_code == 409  # nothing to return yet
    assert act(specialist, "start").json()["status"] == 4
    missing_reason = act(specialist, "request_supplement")
    assert missing_reason.status_code == 422 and "lý do" in missing_reason.json()["detail"]
    paused = act(specialist, "request_supplement", "Thiếu bản sao giấy phép lái xe").json()
    assert paused["status"] == 5 and paused["paused_since"]
    resumed = act(officer, "supplement_received").json()
    assert resumed["status"] == 4 and resumed["paused_since"] is None
    assert act(chair, "approve").status_code == 409  # not submitted for approval yet
    assert act(specialist, "submit").json()["awaiting_approval"] is True
    assert act(officer, "approve").status_code == 403
    approved = act(chair, "approve").json()
    assert approved["status"] == 9 and approved["outcome"] in ("early", "on_time")
    assert act(officer, "return_result").json()["status"] == 10
    assert act(officer, "withdraw", "rút").status_code == 409

    full = client.get(f"/api/dossiers/{d['id']}", headers=officer).json()
    assert [h["action"] for h in full["history"]] == [
        "receive", "start", "request_supplement", "supplement_received", "submit", "approve", "return_result"]
    assert full["pauses"][0]["ended_at"] is not None
    audit = client.get("/api/audit", params={"action": "dossier."}, headers=auth_headers(client, "admin")).json()
    assert {e["action"] for e in audit} >= {"dossier.receive", "dossier.approve", "dossier.return_result"}
    assert all(e["target"].startswith("000.00.08.H41-") for e in audit)

    listed = client.get("/api/dossiers", params={"unit_code": "000.00.08.H41", "status": 2}, headers=chair).json()
    assert listed["total"] == 1 and listed["items"][0]["applicant"]["name"] == "Trần Thị Lan"
    page = client.get(f"/dossiers/{d['id']}", headers=officer)
    assert page.status_code == 200 and "Quá trình xử lý" in page.text and d["code"] in page.text


def test_online_submission_is_accepted_before_the_clock_starts(client, catalog, auth_headers) -> None:  # type: ignore[no-untyped-def]
    officer = auth_headers(client, "motcua")
    d = client.post("/api/dossiers", json=receipt(channel="online"), headers=officer).json()
    assert d["status"] == 1 and d["received_at"] is None and d["due_date"] is None
    accepted = client.post(f"/api/dossiers/{d['id']}/actions", json={"action": "accept"}, headers=officer).json()
    assert accepted["status"] == 2 and accepted["due_date"]


def test_bad_input_is_refused_and_writes_nothing(client, catalog, auth_headers, settings) -> None:  # type: ignore[no-untyped-def]
    officer, specialist = auth_headers(client, "motcua"), auth_headers(client, "cv-gtvt")
    before = counts(settings)
    cases = [
        (receipt(procedure_code="KHONG.CO"), "procedure_code"),
        (receipt(applicant_name=""), "applicant_name"),
        (receipt(applicant_id_number="12ab"), "applicant_id_number"),
        (receipt(unit_code="00.00.31.H41"), "unit_code"),
        (receipt(procedure_code="H41.HUYEN.01"), "unit_code"),  # a district procedure needs its district
        (receipt(procedure_code="H41.HUYEN.01", unit_code="000.00.08.H41"), "unit_code"),  # not a district
        (receipt(unit_code="000.00.31.H41"), "unit_code"),  # a department's procedure at a district
        (receipt(channel="fax"), "channel"),
    ]
    for body, field in cases:
        r = client.post("/api/dossiers", json=body, headers=officer)
        assert r.status_code == 422, (body, r.text)
        assert field in r.text, (field, r.text)
    assert client.post("/api/dossiers", content=b"{not json", headers=officer | {
        "Content-Type": "application/json"}).status_code == 422
    assert client.post("/api/dossiers", json=receipt(), headers=specialist).status_code == 403
    assert client.post("/api/dossiers/999999/actions", json={"action": "start"}, headers=specialist).status_code == 404
    assert client.get("/api/dossiers/stats", params={"from": "2020-03-10", "to": "2020-01-01"},
                      headers=officer).status_code == 422
    assert client.get("/api/dossiers", params={"unit_code": "000.00.99.H41"}, headers=officer).status_code == 422
    assert counts(settings) == before
    d = client.post("/api/dossiers", json=receipt(), headers=officer).json()
    assert d["code"].endswith("-0001")  # refused receipts took no number
    for action, comment, status in (("fly", "", 422), ("approve", "", 403), ("return_result", "", 409),
                                    ("refuse", "", 422)):
        headers = specialist if action == "approve" else officer
        r = client.post(f"/api/dossiers/{d['id']}/actions", json={"action": action, "comment": comment},
                        headers=headers)
        assert r.status_code == status, (action, r.text)
    assert client.post(f"/api/dossiers/{d['id']}/apology", json={"reason": "chậm", "extra_working_days": 2},
                       headers=officer).status_code == 409  # not late
    after = client.get(f"/api/dossiers/{d['id']}", headers=officer).json()
    assert after["status"] == 2 and len(after["history"]) == 1


def test_catalog_administration(client, catalog, auth_headers) -> None:  # type: ignore[no-untyped-def]
    admin, officer = auth_headers(client, "admin"), auth_headers(client, "motcua")
    body = {"code": "H41.STP.99", "name": "Cấp bản sao trích lục hộ tịch", "field": "Hộ tịch", "processing_days": 1,
            "level": "toan_trinh", "cutoff": True, "tier": "province", "unit_code": "000.00.03.H41"}
    assert client.post("/api/procedures", json=body, headers=officer).status_code == 403
    assert client.post("/api/procedures", json=body | {"unit_code": None}, headers=admin).status_code == 422
    assert client.post("/api/procedures", json=body | {"processing_days": -1}, headers=admin).status_code == 422
    assert client.post("/api/procedures", json=body, headers=admin).status_code == 201
    assert client.post("/api/procedures", json=body, headers=admin).status_code == 409
    got = client.get("/api/procedures/H41.STP.99", headers=officer).json()
    assert got["cutoff"] is True and got["unit"] == "000.00.03.H41"
    district = client.get("/api/procedures", params={"tier": "district"}, headers=officer).json()
    assert district and all(p["tier"] == "district" and p["unit"] is None for p in district)


@pytest.mark.asyncio
async def test_bus_events_follow_the_workflow(app, catalog) -> None:  # type: ignore[no-untyped-def]
    bus = InProcessBus()
    set_bus(bus)
    seen: list[tuple[str, dict]] = []

    async def listen() -> None:
        async for topic, event in bus.subscribe("dossiers."):
            seen.append((topic, event))

    task = asyncio.create_task(listen())
    await asyncio.sleep(0)
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://giaoban.test") as c:
            async def headers(user: str) -> dict[str, str]:
                r = await c.post("/api/auth/login", json={"username": user, "password": "giaoban-demo"})
                return {"Authorization": f"Bearer {r.json()['access_token']}"}

            officer, specialist, chair = await headers("motcua"), await headers("cv-gtvt"), await headers("gd-gtvt")
            d = (await c.post("/api/dossiers", json=receipt(), headers=officer)).json()
            for who, action in ((specialist, "start"), (specialist, "submit"), (chair, "approve")):
                r = await c.post(f"/api/dossiers/{d['id']}/actions", json={"action": action}, headers=who)
                assert r.status_code == 200, r.text
        for _ in range(50):
            if any(t == "dossiers.resolved" for t, _ in seen):
                break
            await asyncio.sleep(0.02)
    finally:
        task.cancel()
        set_bus(None)
    topics = [t for t, _ in seen]
    assert topics[0] == "dossiers.received" and "dossiers.resolved" in topics
    resolved = next(e for t, e in seen if t == "dossiers.resolved")
    assert resolved["code"] == d["code"] and resolved["outcome"] in ("early", "on_time")
