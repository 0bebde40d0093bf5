"""Cameras and their events as the API and the live dashboard show them (JSON-able dicts)."""

from __future__ import annotations

from typing import Any

from ops_center.models import Camera, CameraEvent, as_utc

STALE_AFTER_S = 15.0  # health older than this means the ingest process is not reporting


def health_json(camera: Camera, now: float) -> dict[str, Any]:
    h = camera.health
    if h is None:
        return {"state": "unknown", "fps": 0.0, "people": 0, "last_frame_at": None, "errors": 0,
                "last_error": None, "resolution": None}
    reported = as_utc(h.reported_at)
    state = h.state
    if reported is not None and now - reported.timestamp() > STALE_AFTER_S and state != "misconfigured":
        state = "unknown"
    last = as_utc(h.last_frame_at)
    since = as_utc(h.offline_since)
    return {"state": state, "fps": round(h.fps, 1), "analysis_fps": round(h.analysis_fps, 1),
            "people": h.people, "last_frame_at": last.isoformat() if last else None,
            "offline_since": since.isoformat() if since else None, "errors": h.errors,
            "last_error": h.last_error, "resolution": h.resolution}


def camera_json(camera: Camera, now: float) -> dict[str, Any]:
    return {
        "id": camera.id, "name": camera.name, "location": camera.location,
        "unit": {"id": camera.unit.id, "code": camera.unit.code, "name": camera.unit.short_name}
        if camera.unit else None,
        "stream_url": camera.stream_url, "substream_url": camera.substream_url,
        "zones": camera.zones, "masks": camera.masks, "analysis_fps": camera.analysis_fps,
        "people_fps": camera.people_fps, "enabled": camera.enabled,
        "health": health_json(camera, now),
        "live_url": f"/api/ops/cameras/{camera.id}/live.mjpg",
    }


def event_json(event: CameraEvent) -> dict[str, Any]:
    start, end = as_utc(event.started_at), as_utc(event.ended_at)
    return {"id": event.id, "camera_id": event.camera_id, "kind": event.kind,
            "started_at": start.isoformat() if start else None, "ended_at": end.isoformat() if end else None,
            "peak_people": event.peak_people, "peak_area": event.peak_area,
            "snapshot_url": f"/api/ops/events/{event.id}/snapshot.jpg" if event.snapshot_path else None,
            "clip_url": f"/api/ops/events/{event.id}/clip.mp4" if event.clip_path else None}
