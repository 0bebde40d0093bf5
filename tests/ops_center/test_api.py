"""The camera registry, alerts and rules over the API, with the roles that may use them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.audit import AuditEntry
from core.db import engine_for, session_factory, session_scope
from ops_center.alerts.rules import AlertDraft, AlertKind, Severity
from ops_center.alerts.store import EscalationPolicy, apply_draft, escalate_due
from ops_center.models import Alert, Camera, utcnow

CAM = {"name": "Cổng UBND tỉnh", "location": "Số 3 Trường Thi", "unit_code": "000.00.00.H41",
       "stream_url": "http://127.0.0.1:8554/cam/cam1/main.mjpg",
       "substream_url": "http://127.0.0.1:8554/cam/cam1/sub.mjpg",
       "masks": [[[0.78, 0.0], [1.0, 0.0], [1.0, 0.5], [0.78, 0.5]]]}


def test_operator_manages_cameras_and_others_cannot(client, auth_headers):
    op = auth_headers(client, "vanhanh")
    assert client.get("/api/ops/cameras").status_code == 401
    assert client.post("/api/ops/cameras", json=CAM, headers=auth_headers(client, "chuyenvien")).status_code == 403

    created = client.post("/api/ops/cameras", json=CAM, headers=op)
    assert created.status_code == 201, created.text
    cam = created.json()
    assert cam["unit"]["code"] == "000.00.00.H41" and cam["health"]["state"] == "unknown"

    changed = client.put(f"/api/ops/cameras/{cam['id']}", json={**CAM, "name": "Cổng chính", "enabled": False},
                         headers=op)
    assert changed.status_code == 200 and changed.json()["name"] == "Cổng chính"
    # The chair watches the center but does not change its cameras.
    chair = auth_headers(client, "chutoa")
    assert [c["name"] for c in client.get("/api/ops/cameras", headers=chair).json()] == ["Cổng chính"]
    assert client.delete(f"/api/ops/cameras/{cam['id']}", headers=chair).status_code == 403
    assert client.delete(f"/api/ops/cameras/{cam['id']}", headers=op).status_code == 204
    assert client.get(f"/api/ops/cameras/{cam['id']}", headers=op).status_code == 404


def test_credentials_in_camera_urls_stay_in_the_database(client, auth_headers, settings):
    op = auth_headers(client, "vanhanh")
    body = {**CAM, "stream_url": "rtsp://admin:Cam%40Pass9@10.20.30.40:554/Streaming/Channels/101",
            "substream_url": "rtsp://admin:Cam%40Pass9@10.20.30.40:554/Streaming/Channels/102",
            "transport": "udp", "site": "Trụ sở UBND"}
    cam = client.post("/api/ops/cameras", json=body, headers=op).json()
    assert cam["stream_url"] == "rtsp://admin:***@10.20.30.40:554/Streaming/Channels/101"
    assert cam["transport"] == "udp" and cam["site"] == "Trụ sở UBND"
    listed = client.get("/api/ops/cameras", headers=op).text + client.get("/ops/cameras", headers=op).text
    assert "Cam%40Pass9" not in listed
    # Saving the form as shown (password masked) keeps the password; a new one replaces it.
    client.put(f"/api/ops/cameras/{cam['id']}", json={**body, "stream_url": cam["stream_url"],
                                                       "substream_url": cam["substream_url"]}, headers=op)
    with session_scope(session_factory(engine_for(settings.database_url))) as s:
        stored = s.execute(select(Camera)).scalar_one()
        assert stored.stream_url == body["stream_url"] and stored.substream_url == body["substream_url"]
        audit = " ".join(str(e.detail) for e in s.execute(select(AuditEntry)).scalars())
        assert "Cam%40Pass9" not in audit
    client.put(f"/api/ops/cameras/{cam['id']}", json={**body, "stream_url": "rtsp://admin:new@10.20.30.40/1"},
               headers=op)
    with session_scope(session_factory(engine_for(settings.database_url))) as s:
        assert s.execute(select(Camera)).scalar_one().stream_url == "rtsp://admin:new@10.20.30.40/1"


def test_bad_camera_input_is_refused_with_a_reason(client, auth_headers):
    op = auth_headers(client, "vanhanh")
    cases = [
        ({**CAM, "stream_url": "htp//camera/stream"}, "scheme"),
        ({**CAM, "stream_url": "rtsp://:554/live"}, "host"),
        ({**CAM, "substream_url": "ftp://cam/sub"}, "scheme"),
        ({**CAM, "zones": [[[0.1, 0.1], [0.2, 0.2]]]}, "3 points"),
        ({**CAM, "masks": [[[0.1, 0.1], [1.5, 0.2], [0.3, 0.9]]]}, "[0, 1]"),
        ({**CAM, "analysis_fps": 60}, "analysis_fps"),
        ({**CAM, "unit_code": "999.99.99.Z99"}, "no unit"),
    ]
    for body, reason in cases:
        r = client.post("/api/ops/cameras", json=body, headers=op)
        assert r.status_code == 422, (body, r.text)
        assert reason in r.text, (reason, r.text)
    assert client.get("/api/ops/cameras", headers=op).json() == []


def _raise(settings, kind=AlertKind.CAMERA_OFFLINE, key="camera_offline:1", severity=Severity.CRITICAL) -> int:
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        alert, what = apply_draft(s, AlertDraft(kind, key, severity, "Camera mất tín hiệu: Cổng", "camera:1"))
        assert what == "raised"
        return alert.id


def test_acknowledge_needs_a_comment_and_an_operator(client, auth_headers, settings):
    alert_id = _raise(settings)
    op = auth_headers(client, "vanhanh")
    assert client.post(f"/api/ops/alerts/{alert_id}/ack", json={"comment": "x"},
                       headers=auth_headers(client, "thuky")).status_code == 403
    empty = client.post(f"/api/ops/alerts/{alert_id}/ack", json={"comment": "   "}, headers=op)
    assert empty.status_code == 422 and "comment" in empty.text
    assert client.post("/api/ops/alerts/99999/ack", json={"comment": "ok"}, headers=op).status_code == 404

    done = client.post(f"/api/ops/alerts/{alert_id}/ack", json={"comment": "Đã cử người kiểm tra"}, headers=op)
    assert done.status_code == 200
    assert done.json()["status"] == "acknowledged" and done.json()["ack_comment"] == "Đã cử người kiểm tra"
    again = client.post(f"/api/ops/alerts/{alert_id}/ack", json={"comment": "lại"}, headers=op)
    assert again.status_code == 409
    active = client.get("/api/ops/alerts", headers=op).json()
    assert [a["status"] for a in active] == ["acknowledged"]
    with session_factory(engine_for(settings.database_url))() as s:
        entry = s.execute(select(AuditEntry).where(AuditEntry.action == "ops.alert.acknowledge")).scalar_one()
        assert entry.actor == "vanhanh"


def test_repeats_fold_into_one_alert_and_unacknowledged_alerts_escalate(settings):
    factory = session_factory(engine_for(settings.database_url), write=True)
    draft = AlertDraft(AlertKind.PEOPLE_OVER, "people_over:2", Severity.WARNING, "Tụ tập: Sảnh", "camera:2")
    with session_scope(factory) as s:
        first, _ = apply_draft(s, draft)
        again, what = apply_draft(s, draft)
        assert what == "repeated" and again.id == first.id and again.count == 2
    policy = EscalationPolicy(after_s={"warning": 60.0, "critical": 10.0, "info": None})
    now = utcnow()
    with session_scope(factory) as s:
        assert escalate_due(s, policy, now + timedelta(seconds=30)) == []
        [up] = escalate_due(s, policy, now + timedelta(seconds=61))
        assert up.escalation_level == 1
        assert escalate_due(s, policy, now + timedelta(seconds=90)) == []  # the clock restarts per level
        [up] = escalate_due(s, policy, now + timedelta(seconds=125))
        assert up.escalation_level == 2
        assert escalate_due(s, policy, now + timedelta(hours=5)) == []  # nobody above the chair
    with session_scope(factory) as s:
        alert = s.get(Alert, first.id)
        alert.status = "acknowledged"
    with session_scope(factory) as s:
        other, _ = apply_draft(s, AlertDraft(AlertKind.CAMERA_OFFLINE, "camera_offline:9", Severity.CRITICAL,
                                             "x", "camera:9"))
        other.status = "acknowledged"
        s.flush()
        assert escalate_due(s, policy, utcnow() + timedelta(hours=1)) == []  # acknowledged: no escalation


def test_rules_can_be_tuned_by_operators(client, auth_headers):
    op = auth_headers(client, "vanhanh")
    rules = {r["kind"]: r for r in client.get("/api/ops/rules", headers=op).json()}
    assert rules["people_over"]["params"]["threshold"] == 5
    r = client.put("/api/ops/rules/people_over", json={"severity": "critical", "params": {"threshold": 2}},
                   headers=op)
    assert r.status_code == 200
    assert {x["kind"]: x for x in client.get("/api/ops/rules", headers=op).json()}["people_over"]["params"] == \
        {"threshold": 2}
    assert client.put("/api/ops/rules/people_over", json={"params": {"threshold": -1}}, headers=op).status_code == 422
    assert client.put("/api/ops/rules/people_over", json={"params": {"color": 1}}, headers=op).status_code == 422
    assert client.put("/api/ops/rules/bogus", json={}, headers=op).status_code == 404
    assert client.put("/api/ops/rules/people_over", json={},
                      headers=auth_headers(client, "chutoa")).status_code == 403


def test_event_media_is_served_only_from_the_media_folder(client, auth_headers, settings):
    from datetime import UTC, datetime

    from ops_center.config import media_dir
    from ops_center.models import Camera, CameraEvent

    inside = media_dir(settings) / "1" / "20261124" / "ev.jpg"
    inside.parent.mkdir(parents=True)
    inside.write_bytes(b"\xff\xd8\xff\xe0snapshot")
    outside = settings.var_dir / "secret.key"
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        cam = Camera(name="c", stream_url="rtsp://10.0.0.5/stream1", zones=[], masks=[])
        s.add(cam)
        s.flush()
        cam_id = cam.id
        now = datetime.now(UTC)
        s.add(CameraEvent(id="1" * 32, camera_id=cam.id, started_at=now, snapshot_path=str(inside)))
        s.add(CameraEvent(id="2" * 32, camera_id=cam.id, started_at=now, snapshot_path=str(outside)))
    op = auth_headers(client, "vanhanh")
    good = client.get(f"/api/ops/events/{'1' * 32}/snapshot.jpg", headers=op)
    assert good.status_code == 200 and good.content == inside.read_bytes()
    assert client.get(f"/api/ops/events/{'2' * 32}/snapshot.jpg", headers=op).status_code == 404
    assert client.get(f"/api/ops/events/{'1' * 32}/clip.mp4", headers=op).status_code == 404
    assert [e["snapshot_url"] is not None for e in client.get(f"/api/ops/cameras/{cam_id}/events",
                                                             headers=op).json()] == [True, True]
    # An RTSP camera has no MJPEG to relay: a clear refusal, not a hang or a 500.
    live = client.get(f"/api/ops/cameras/{cam_id}/live.mjpg", headers=op)
    assert live.status_code == 409 and "WebRTC" in live.json()["detail"]


def test_latest_picture_is_served_only_while_fresh(client, auth_headers, settings):
    import os
    import time

    import cv2
    import numpy as np

    from ops_center.capture import Frame
    from ops_center.config import media_dir
    from ops_center.latest_picture import FRESH_S, LatestPictures, picture_path

    op = auth_headers(client, "vanhanh")
    cam = client.post("/api/ops/cameras", json={**CAM, "stream_url": "rtsp://10.0.0.5/main",
                                                "substream_url": None}, headers=op).json()
    url = f"/api/ops/cameras/{cam['id']}/latest.jpg"
    assert client.get(url).status_code == 401
    none_yet = client.get(url, headers=op)
    assert none_yet.status_code == 404 and "15" in none_yet.json()["detail"]
    assert client.get("/api/ops/cameras/999999/latest.jpg", headers=op).status_code == 404

    # A decoded substream picture (planar YUV, as the RTSP reader hands it over) becomes a JPEG of its size.
    pictures = LatestPictures(media_dir(settings), every_s=1.0)
    i420 = np.full((360 * 3 // 2, 640), 128, np.uint8)
    i420[:360, 100:200] = 235
    now = time.time()
    pictures.offer(str(cam["id"]), Frame(at=now, i420=i420), now)
    got = client.get(url, headers=op)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.headers["cache-control"] == "no-store"
    image = cv2.imdecode(np.frombuffer(got.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert image.shape == (360, 640) and image[180, 150] > 200 > image[180, 400]

    # Offered again within a second: not rewritten (the rate the ingest keeps).
    written = picture_path(media_dir(settings), cam["id"]).stat().st_mtime_ns
    pictures.offer(str(cam["id"]), Frame(at=now + 0.5, i420=i420), now + 0.5)
    assert picture_path(media_dir(settings), cam["id"]).stat().st_mtime_ns == written

    # A camera that stopped sending: its last picture is not passed off as live.
    old = time.time() - FRESH_S - 5
    os.utime(picture_path(media_dir(settings), cam["id"]), (old, old))
    assert client.get(url, headers=op).status_code == 404
