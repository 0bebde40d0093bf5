"""The dashboard changes live when a document, a dossier and a camera event are created through the
real APIs of their areas, and the alerts that depend on them are raised."""

from __future__ import annotations

import time

from core.db import engine_for, session_factory, session_scope
from ops_center.alerts.rules import AlertKind, RuleConfig
from ops_center.alerts.store import save_rule
from ops_center.live import check_dossiers
from ops_center.models import Camera
from tests.ops_center.dashboard_helpers import Feed, store_signal


def test_dashboard_follows_documents_dossiers_and_cameras(client, login, auth_headers, settings):
    write = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(write) as s:
        cam = Camera(name="Sảnh một cửa", stream_url="http://127.0.0.1:9/cam.mjpg", zones=[], masks=[])
        s.add(cam)
        s.flush()
        cid = str(cam.id)
        save_rule(s, RuleConfig(AlertKind.DOSSIER_DUE, params={"within_working_days": 5}), "test")
    admin, officer, clerk = (auth_headers(client, u) for u in ("admin", "motcua", "vanthu"))
    department = next(u for u in client.get("/api/units", headers=admin).json() if u["kind"] == "department")
    r = client.post("/api/procedures", headers=admin, json={
        "code": "H41.TEST.01", "name": "Cấp giấy phép thử nghiệm", "field": "Thử nghiệm", "processing_days": 2,
        "level": "toan_trinh", "tier": "province", "unit_code": department["code"]})
    assert r.status_code == 201, r.text

    login(client, "vanhanh")
    with client.websocket_connect("/ops/ws") as ws:
        feed = Feed(ws)
        state = feed.first()
        assert state["kpi"]["dossiers"]["available"], "documents.dossiers.kpi.snapshot should be read"
        received = state["kpi"]["dossiers"]["received"]
        assert state["kpi"]["documents"]["available"], state["kpi"]["documents"]
        docs_before = state["kpi"]["documents"]["received_today"]

        r = client.post("/api/dossiers", headers=officer, json={
            "procedure_code": "H41.TEST.01", "applicant_name": "Nguyễn Văn Bình", "channel": "desk"})
        assert r.status_code == 201, r.text
        dossier = r.json()
        state = feed.until(lambda s: s["kpi"]["dossiers"]["received"] == received + 1)
        assert state["kpi"]["dossiers"]["in_progress"] >= 1
        # The operator widens the dossier figures to everything on record; today's dossier is in it.
        ws.send_json({"period": "all"})
        state = feed.until(lambda s: s["dossier_period"] == "all")
        assert state["kpi"]["dossiers"]["period"]["from"] == "2000-01-01"
        assert state["kpi"]["dossiers"]["received"] >= 1

        # Due within the rule's five working days: the poll raises an alert naming the dossier.
        published = check_dossiers(write)
        assert [t for t, _ in published] == ["ops.alert.raised"]
        state = feed.until(lambda s: any(a["kind"] == "dossier_due" for a in s["alerts"]))
        assert dossier["code"] in next(a["title"] for a in state["alerts"] if a["kind"] == "dossier_due")
        # The next poll finds the same dossier: the same alert counts up, no second one appears.
        [(topic, again)] = check_dossiers(write)
        assert topic == "ops.alert.repeated" and again["id"] == published[0][1]["id"] and again["count"] == 2

        r = client.post("/api/documents/incoming", headers=clerk, json={
            "doc_type": "CV", "code": "88/UBND-VX", "abstract": "Về việc ứng phó bão số 9",
            "issuer_name": "UBND huyện Nghi Lộc", "urgency": "hoa_toc"})
        assert r.status_code == 201, r.text
        state = feed.until(lambda s: any(a["kind"] == "urgent_document" for a in s["alerts"]))
        assert "88/UBND-VX" in next(a["title"] for a in state["alerts"] if a["kind"] == "urgent_document")
        state = feed.until(lambda s: s["kpi"]["documents"]["received_today"] == docs_before + 1)
        assert state["kpi"]["documents"]["available"]

        now = time.time()
        store_signal(settings, "motion.start", {"camera_id": cid, "event_id": "f" * 32, "start": now, "at": now})
        store_signal(settings, "motion.end", {"camera_id": cid, "event_id": "f" * 32, "start": now, "end": now + 3,
                                         "peak_people": 1, "peak_area": 0.05})
        state = feed.until(lambda s: s["events"])
        assert state["events"][0]["camera"] == "Sảnh một cửa"
