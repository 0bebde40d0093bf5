"""What the ingest workers report, written to the database and turned into alerts and bus events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from ops_center.alerts.rules import AlertKind, RuleConfig, evaluate
from ops_center.alerts.store import apply_drafts
from ops_center.models import CameraEvent, CameraHealthRow, as_utc, utcnow

Published = list[tuple[str, dict[str, Any]]]
# Worker signals that are news for the dashboard and the alert rules (camera.health is only stored).
PUBLISHED_KINDS = {"camera.takeover", "camera.online", "camera.offline", "camera.misconfigured", "camera.resolution",
                   "motion.start", "motion.end", "people.count", "event.media"}


def _ts(value: Any) -> datetime | None:
    return datetime.fromtimestamp(float(value), UTC) if value is not None else None


def _health(session: Session, camera_id: int) -> CameraHealthRow:
    row = session.get(CameraHealthRow, camera_id)
    if row is None:
        row = CameraHealthRow(camera_id=camera_id, reported_at=utcnow(), lease_token=0)
        session.add(row)
    return row


def record_signal(session: Session, kind: str, payload: dict[str, Any], rules: dict[AlertKind, RuleConfig],
                  names: dict[str, str]) -> Published:
    """Store one worker signal; returns the bus events it causes (published after commit)."""
    try:
        camera_id = int(payload["camera_id"])
    except (KeyError, TypeError, ValueError):
        return []
    out: Published = []
    token = payload.get("lease_token")
    if token is not None:
        row = _health(session, camera_id)
        if int(token) < row.lease_token:
            return []  # from a node that lost the camera (stalled past its lease): its successor's reports win
        if int(token) > row.lease_token:
            previous = row.owner
            row.owner, row.lease_token, row.owner_since = payload.get("owner"), int(token), utcnow()
            if previous and previous != row.owner:
                # Taken over: the camera has been dark since the old owner's last picture.
                row.handover_dark_since = row.last_frame_at or row.reported_at
                row.takeover_gap_s = None
                row.state = "connecting"
                out.append(("ops.camera.takeover", {"camera_id": str(camera_id), "from": previous,
                                                    "to": row.owner, "at": payload.get("at")}))
    if kind == "camera.health":
        row = _health(session, camera_id)
        row.state = str(payload.get("state", row.state))
        row.fps = float(payload.get("fps") or 0.0)
        row.analysis_fps = float(payload.get("analysis_fps") or 0.0)
        row.last_frame_at = _ts(payload.get("last_frame_at"))
        row.offline_since = _ts(payload.get("offline_since"))
        row.errors = int(payload.get("errors") or 0)
        row.last_error = payload.get("last_error")
        row.fault = payload.get("fault")
        res = payload.get("resolution")
        row.resolution = f"{res[0]}x{res[1]}" if res else None
        row.reported_at = utcnow()
        return out
    if kind in ("camera.online", "camera.offline", "camera.misconfigured"):
        row = _health(session, camera_id)
        row.state = kind.split(".", 1)[1]
        if kind == "camera.online":
            dark = as_utc(row.handover_dark_since)
            if dark is not None:
                row.takeover_gap_s = round(float(payload.get("at") or 0) - dark.timestamp(), 2)
                row.handover_dark_since = None
                payload = {**payload, "takeover_gap_s": row.takeover_gap_s}
            row.offline_since = None
            row.fault = None
        else:
            row.offline_since = _ts(payload.get("last_frame_at")) or _ts(payload.get("at"))
            row.last_error = payload.get("error") or row.last_error
            row.fault = payload.get("fault") or row.fault
    elif kind == "camera.main_codec":
        # Told at every opening of the main stream for the wall: news only when it changed.
        row = _health(session, camera_id)
        codec = str(payload.get("codec") or "")[:20] or None
        if codec == row.main_codec:
            return out
        row.main_codec = codec
        payload = {**payload, "codec": codec, "live": codec == "h264"}
        out.append(("ops.camera.codec", payload))
        out.extend(apply_drafts(session, evaluate("ops.camera.codec", payload, rules, names)))
        return out
    elif kind == "people.count":
        row = _health(session, camera_id)
        row.people = int(payload.get("count") or 0)
        row.zone_people = payload.get("zones")
    elif kind == "motion.start":
        session.add(CameraEvent(id=payload["event_id"], camera_id=camera_id, kind="motion",
                                started_at=_ts(payload["start"])))
    elif kind == "motion.end":
        event = session.get(CameraEvent, payload["event_id"])
        if event is None:  # its start was lost (e.g. the stream broke at once): keep the event anyway
            event = CameraEvent(id=payload["event_id"], camera_id=camera_id, started_at=_ts(payload["start"]))
            session.add(event)
        event.ended_at = _ts(payload.get("end"))
        event.peak_people = int(payload.get("peak_people") or 0)
        event.peak_area = float(payload.get("peak_area") or 0.0)
        event.snapshot_path, event.clip_path = payload.get("snapshot"), payload.get("clip")
    elif kind == "event.media":
        event = session.get(CameraEvent, payload["event_id"])
        if event is not None:
            event.snapshot_path, event.clip_path = payload.get("snapshot"), payload.get("clip")
    if kind not in PUBLISHED_KINDS:
        return out
    topic = f"ops.{kind}"
    out.append((topic, payload))
    out.extend(apply_drafts(session, evaluate(topic, payload, rules, names)))
    return out
