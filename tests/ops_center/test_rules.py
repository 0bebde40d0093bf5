"""Which signals raise and clear which alerts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ops_center.alerts.rules import DEFAULT_RULES, VIETNAM, AlertKind, evaluate


def _at(hour: int) -> float:
    return datetime(2026, 11, 24, hour, 30, tzinfo=VIETNAM).timestamp()


def test_motion_raises_an_alert_only_at_night_in_vietnam_time():
    names = {"3": "Quảng trường"}
    day = evaluate("ops.motion.start", {"camera_id": "3", "event_id": "e1", "at": _at(14)}, DEFAULT_RULES, names)
    night = evaluate("ops.motion.start", {"camera_id": "3", "event_id": "e2", "at": _at(23)}, DEFAULT_RULES, names)
    early = evaluate("ops.motion.start", {"camera_id": "3", "event_id": "e3", "at": _at(4)}, DEFAULT_RULES, names)
    assert day == []
    assert [d.kind for d in night] == [AlertKind.MOTION_NIGHT] and "Quảng trường" in night[0].title
    assert len(early) == 1


def test_people_above_the_threshold_and_only_on_chosen_cameras():
    rules = dict(DEFAULT_RULES)
    rules[AlertKind.PEOPLE_OVER] = replace(rules[AlertKind.PEOPLE_OVER], params={"threshold": 2},
                                           camera_ids=("1",))
    assert evaluate("ops.people.count", {"camera_id": "1", "count": 2}, rules) == []
    [d] = evaluate("ops.people.count", {"camera_id": "1", "count": 3}, rules)
    assert d.key == "people_over:1" and d.detail["count"] == 3
    assert evaluate("ops.people.count", {"camera_id": "2", "count": 9}, rules) == []


def test_offline_and_recovery_share_one_key_so_recovery_clears_the_alert():
    [down] = evaluate("ops.camera.offline", {"camera_id": "4", "at": 1.0}, DEFAULT_RULES)
    [up] = evaluate("ops.camera.online", {"camera_id": "4", "at": 9.0, "downtime_s": 8.0}, DEFAULT_RULES)
    assert down.key == up.key and not down.resolve and up.resolve


def test_signals_from_other_areas():
    dropped = {"meeting": 7, "participant": "dc-vinh", "unit": "000.00.31.H41", "reason": "disconnected"}
    [ep] = evaluate("conference.left", dropped, DEFAULT_RULES)
    assert ep.kind == AlertKind.ENDPOINT_OFFLINE and "000.00.31.H41" in ep.title
    [back] = evaluate("conference.joined", {"meeting": 7, "participant": "dc-vinh"}, DEFAULT_RULES)
    assert back.resolve and back.key == ep.key
    # Leaving on purpose, or the meeting ending, is not an incident.
    assert evaluate("conference.left", {**dropped, "reason": "left"}, DEFAULT_RULES) == []
    assert evaluate("conference.left", {**dropped, "reason": "ended"}, DEFAULT_RULES) == []

    [due] = evaluate("dossiers.due_soon", {"id": 12, "code": "H41.22-241124-0012", "unit": "TP Vinh"},
                     DEFAULT_RULES)
    assert due.kind == AlertKind.DOSSIER_DUE and "H41.22-241124-0012" in due.title

    flash = {"id": 5, "register": "in", "code": "123/UBND-VX", "urgency": "hoa_toc"}
    [doc] = evaluate("documents.registered", flash, DEFAULT_RULES)
    assert doc.kind == AlertKind.URGENT_DOCUMENT and "123/UBND-VX" in doc.title
    assert evaluate("documents.registered", {**flash, "urgency": "thuong"}, DEFAULT_RULES) == []
    assert evaluate("documents.registered", {**flash, "register": "out"}, DEFAULT_RULES) == []
    [done] = evaluate("documents.directed", {**flash, "state": "directed"}, DEFAULT_RULES)
    assert done.resolve and done.key == doc.key


def test_a_disabled_rule_raises_nothing():
    rules = dict(DEFAULT_RULES)
    rules[AlertKind.CAMERA_OFFLINE] = replace(rules[AlertKind.CAMERA_OFFLINE], enabled=False)
    assert evaluate("ops.camera.offline", {"camera_id": "4", "at": 1.0}, rules) == []


def test_night_motion_on_one_camera_is_one_alert_key():
    keys = {d.key for i in range(3) for d in evaluate(
        "ops.motion.start", {"camera_id": "3", "event_id": f"e{i}", "at": _at(23)}, DEFAULT_RULES)}
    assert keys == {"motion_night:3"}


def test_a_stopped_recording_raises_one_alert_per_meeting():
    payload = {"meeting": 7, "status": "stopped", "reason": "low disk: 1 bytes free", "worker": 0}
    [d] = evaluate("conference.recording", payload, DEFAULT_RULES)
    assert d.kind == AlertKind.RECORDING_STOPPED and d.key == "recording_stopped:7" and not d.resolve
    assert "low disk" in d.title and d.severity == "critical"
    assert evaluate("conference.recording", {**payload, "status": "started"}, DEFAULT_RULES) == []


def test_a_main_stream_the_wall_cannot_forward_is_recorded_once_and_cleared_by_h264(settings):
    """The ingest tells the codec at every opening of the main stream: the health row keeps it, the
    alert is raised the first time it is not H.264 (not at every wall that opens it) and resolved
    when the camera sends H.264 again."""
    from core.db import engine_for, session_factory, session_scope
    from ops_center.models import Alert, Camera, CameraHealthRow
    from tests.ops_center.dashboard_helpers import store_signal

    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        cam = Camera(name="Cầu Bến Thủy", stream_url="rtsp://10.0.0.5/main", zones=[], masks=[])
        s.add(cam)
        s.flush()
        cid = str(cam.id)
    first = store_signal(settings, "camera.main_codec", {"camera_id": cid, "codec": "hevc", "at": 1.0})
    assert [t for t, _ in first] == ["ops.camera.codec", "ops.alert.raised"]
    raised = first[1][1]
    assert raised["kind"] == "camera_codec" and raised["severity"] == "warning" and "H.265" in raised["title"]
    assert store_signal(settings, "camera.main_codec", {"camera_id": cid, "codec": "hevc", "at": 2.0}) == []
    cleared = store_signal(settings, "camera.main_codec", {"camera_id": cid, "codec": "h264", "at": 3.0})
    assert [t for t, _ in cleared] == ["ops.camera.codec", "ops.alert.resolved"]
    with session_factory(engine_for(settings.database_url))() as s:
        assert s.get(CameraHealthRow, int(cid)).main_codec == "h264"
        [alert] = s.query(Alert).filter(Alert.kind == "camera_codec").all()
        assert alert.status == "resolved" and alert.count == 1
