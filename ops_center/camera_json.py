"""Cameras and their events as the API and the live dashboard show them (JSON-able dicts)."""

from __future__ import annotations

from typing import Any

from ops_center.capture import redact
from ops_center.models import Camera, CameraEvent, as_utc

STALE_AFTER_S = 7.0  # no health report for this long (they come every 2 s): no ingest process reads it


def health_json(camera: Camera, now: float) -> dict[str, Any]:
    h = camera.health
    if h is None:
        return {"state": "unknown", "fps": 0.0, "people": 0, "last_frame_at": None, "errors": 0,
                "last_error": None, "resolution": None, "fault": None, "zone_people": None, "owner": None,
                "owner_since": None, "takeover_gap_s": None, "main_codec": None}
    reported = as_utc(h.reported_at)
    state = h.state
    if reported is not None and now - reported.timestamp() > STALE_AFTER_S and state != "misconfigured":
        state = "unknown"
    last = as_utc(h.last_frame_at)
    since = as_utc(h.offline_since)
    owned = as_utc(h.owner_since)
    return {"state": state, "fps": round(h.fps, 1), "analysis_fps": round(h.analysis_fps, 1),
            "people": h.people, "zone_people": h.zone_people, "last_frame_at": last.isoformat() if last else None,
            "offline_since": since.isoformat() if since else None, "errors": h.errors,
            "last_error": redact(h.last_error) if h.last_error else None, "resolution": h.resolution,
            "fault": h.fault if state != "online" else None, "owner": h.owner,
            "owner_since": owned.isoformat() if owned else None, "takeover_gap_s": h.takeover_gap_s,
            "main_codec": h.main_codec}


def camera_json(camera: Camera, now: float) -> dict[str, Any]:
    return {
        "id": camera.id, "name": camera.name, "location": camera.location,
        "unit": {"id": camera.unit.id, "code": camera.unit.code, "name": camera.unit.short_name}
        if camera.unit else None,
        "site": camera.site,
        # Credentials stay in the database: pages and the API see the URL with its password masked.
        "stream_url": redact(camera.stream_url),
        "substream_url": redact(camera.substream_url) if camera.substream_url else None,
        "transport": camera.transport,
        "zones": camera.zones, "masks": camera.masks, "analysis_fps": camera.analysis_fps,
        "people_fps": camera.people_fps, "enabled": camera.enabled,
        "health": health_json(camera, now),
        "live_url": f"/api/ops/cameras/{camera.id}/live.mjpg",
        "picture_url": f"/api/ops/cameras/{camera.id}/latest.jpg",
    }


def event_json(event: CameraEvent) -> dict[str, Any]:
    start, end = as_utc(event.started_at), as_utc(event.ended_at)
    return {"id": event.id, "camera_id": event.camera_id, "kind": event.kind,
            "started_at": start.isoformat() if start else None, "ended_at": end.isoformat() if end else None,
            "peak_people": event.peak_people, "peak_area": event.peak_area,
            "snapshot_url": f"/api/ops/events/{event.id}/snapshot.jpg" if event.snapshot_path else None,
            "clip_url": f"/api/ops/events/{event.id}/clip.mp4" if event.clip_path else None}
