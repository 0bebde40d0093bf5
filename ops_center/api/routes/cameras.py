"""Camera registry API: list, create, change, delete; events, snapshots, clips and the live MJPEG relay."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record
from core.bounds import RowId
from core.file_answers import file_answer
from core.people import User
from core.request_db import db, sessionmaker_of
from core.units import Unit
from ops_center.access import operators, viewers
from ops_center.analytics.geometry import check_polygon
from ops_center.camera_json import camera_json, event_json
from ops_center.capture import BadStreamURL, check_stream_url, keep_credentials, redact
from ops_center.config import media_dir
from ops_center.latest_picture import fresh_picture
from ops_center.models import Camera, CameraEvent

log = logging.getLogger(__name__)
errors_upstream: dict[int | str, dict] = {502: {"description": "the camera sent no MJPEG stream"},
                                          409: {"description": "not an HTTP MJPEG camera"}}
router = APIRouter(tags=["ops_center"])


class CameraIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    location: str = Field(default="", max_length=300)
    unit_code: str | None = Field(default=None, max_length=13)
    site: str = Field(default="", max_length=200)
    stream_url: str = Field(min_length=1, max_length=1000)
    substream_url: str | None = Field(default=None, max_length=1000)
    transport: Literal["tcp", "udp"] = "tcp"
    zones: list[list[list[float]]] = Field(default_factory=list, max_length=20)
    masks: list[list[list[float]]] = Field(default_factory=list, max_length=20)
    analysis_fps: float = Field(default=5.0, ge=0.5, le=15.0)
    people_fps: float = Field(default=2.0, ge=0.0, le=5.0)
    enabled: bool = True

    @field_validator("stream_url")
    @classmethod
    def _stream(cls, value: str) -> str:
        try:
            return check_stream_url(value)
        except BadStreamURL as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("substream_url")
    @classmethod
    def _substream(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            return check_stream_url(value)
        except BadStreamURL as exc:
            raise ValueError(str(exc)) from exc

    @field_validator("zones", "masks")
    @classmethod
    def _polygons(cls, value: list[list[list[float]]]) -> list[list[list[float]]]:
        return [check_polygon(p) for p in value]


def _camera(session: Session, camera_id: int) -> Camera:
    camera = session.get(Camera, camera_id)
    if camera is None:
        raise HTTPException(404, f"không có camera {camera_id} / no camera {camera_id}")
    return camera


def _unit(session: Session, code: str | None) -> Unit | None:
    if not code:
        return None
    unit = session.execute(select(Unit).where(Unit.code == code)).scalar_one_or_none()
    if unit is None:
        raise HTTPException(422, f"unit_code: không có đơn vị mã {code} / no unit with code {code}")
    return unit


def _apply(camera: Camera, body: CameraIn, unit: Unit | None) -> None:
    camera.name, camera.location, camera.unit = body.name.strip(), body.location.strip(), unit
    camera.site, camera.transport = body.site.strip(), body.transport
    # A URL sent back as shown (password masked) keeps the stored password.
    camera.stream_url = keep_credentials(body.stream_url, camera.stream_url)
    camera.substream_url = keep_credentials(body.substream_url, camera.substream_url) if body.substream_url else None
    camera.zones, camera.masks = body.zones, body.masks
    camera.analysis_fps, camera.people_fps, camera.enabled = body.analysis_fps, body.people_fps, body.enabled


@router.get("/api/ops/cameras")
def list_cameras(session: Session = Depends(db), user: User = Depends(viewers)) -> list[dict[str, Any]]:
    now = time.time()
    return [camera_json(c, now) for c in session.execute(select(Camera).order_by(Camera.id)).unique().scalars()]


@router.post("/api/ops/cameras", status_code=201)
def create_camera(body: CameraIn, request: Request, session: Session = Depends(db),
                  user: User = Depends(operators)) -> dict[str, Any]:
    camera = Camera(zones=[], masks=[])
    _apply(camera, body, _unit(session, body.unit_code))
    session.add(camera)
    session.flush()
    record(session, actor=user.username, action="ops.camera.create", target=str(camera.id),
           detail={"name": camera.name, "stream_url": redact(camera.stream_url)},
           ip=request.client.host if request.client else "")
    return camera_json(camera, time.time())


@router.get("/api/ops/cameras/{camera_id}")
def get_camera(camera_id: RowId, session: Session = Depends(db), user: User = Depends(viewers)) -> dict[str, Any]:
    return camera_json(_camera(session, camera_id), time.time())


@router.put("/api/ops/cameras/{camera_id}")
def update_camera(camera_id: RowId, body: CameraIn, request: Request, session: Session = Depends(db),
                  user: User = Depends(operators)) -> dict[str, Any]:
    camera = _camera(session, camera_id)
    _apply(camera, body, _unit(session, body.unit_code))
    record(session, actor=user.username, action="ops.camera.update", target=str(camera.id),
           detail={"name": camera.name, "stream_url": redact(camera.stream_url), "enabled": camera.enabled},
           ip=request.client.host if request.client else "")
    return camera_json(camera, time.time())


@router.delete("/api/ops/cameras/{camera_id}", status_code=204)
def delete_camera(camera_id: RowId, request: Request, session: Session = Depends(db),
                  user: User = Depends(operators)) -> None:
    camera = _camera(session, camera_id)
    record(session, actor=user.username, action="ops.camera.delete", target=str(camera.id),
           detail={"name": camera.name}, ip=request.client.host if request.client else "")
    session.delete(camera)


@router.get("/api/ops/cameras/{camera_id}/events")
def camera_events(camera_id: RowId, limit: int = Query(50, ge=1, le=500), session: Session = Depends(db),
                  user: User = Depends(viewers)) -> list[dict[str, Any]]:
    _camera(session, camera_id)
    rows = session.execute(select(CameraEvent).where(CameraEvent.camera_id == camera_id)
                           .order_by(CameraEvent.started_at.desc()).limit(limit)).scalars()
    return [event_json(e) for e in rows]


def _media(request: Request, session: Session, event_id: str, attr: str) -> Path:
    event = session.get(CameraEvent, event_id)
    if event is None:
        raise HTTPException(404, f"không có sự kiện {event_id} / no event {event_id}")
    stored = getattr(event, attr)
    root = media_dir(request.app.state.settings).resolve()
    if not stored:
        raise HTTPException(404, "tệp đã bị xóa theo chính sách lưu trữ hoặc chưa ghi xong / "
                                 "media removed by the retention policy or not written yet")
    path = Path(stored).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        raise HTTPException(404, "không còn tệp / the file is gone")
    return path


@router.get("/api/ops/events/{event_id}/snapshot.jpg", response_class=Response, responses=file_answer("image/jpeg"))
def event_snapshot(event_id: str, request: Request, session: Session = Depends(db),
                   user: User = Depends(viewers)) -> FileResponse:
    return FileResponse(_media(request, session, event_id, "snapshot_path"), media_type="image/jpeg")


@router.get("/api/ops/events/{event_id}/clip.mp4", response_class=Response, responses=file_answer("video/mp4"))
def event_clip(event_id: str, request: Request, session: Session = Depends(db),
               user: User = Depends(viewers)) -> FileResponse:
    return FileResponse(_media(request, session, event_id, "clip_path"), media_type="video/mp4")


@router.get("/api/ops/cameras/{camera_id}/latest.jpg", response_class=Response,
            responses=file_answer("image/jpeg") | {404: {"description": "no such camera, or no picture of the "
                                                                        "last 15 s (the camera is not delivering)"}})
def latest_picture(camera_id: RowId, request: Request, session: Session = Depends(db),
                   user: User = Depends(viewers)) -> Response:
    """The camera's latest analysed picture (written by its ingest process about once a second), whatever
    the camera sends: the dashboard's thumbnails and the wall's fallback for a main stream no browser plays."""
    _camera(session, camera_id)
    path = fresh_picture(media_dir(request.app.state.settings), camera_id)
    try:
        # Read whole (a few tens of kB): the ingest replaces the file every second, and a streamed
        # file could change between the length sent and the bytes.
        data = path.read_bytes() if path is not None else None
    except OSError:
        data = None
    if not data:
        raise HTTPException(404, "camera chưa có hình mới (không nhận được hình trong 15 giây) / no recent picture "
                                 "of this camera (nothing received in the last 15 s)")
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/api/ops/cameras/{camera_id}/live.mjpg", response_class=Response,
            responses=file_answer("multipart/x-mixed-replace") | errors_upstream)
async def live_mjpeg(camera_id: RowId, request: Request, sub: bool = Query(False),
                     user: User = Depends(viewers)) -> StreamingResponse:
    """Relay the camera's own MJPEG bytes to the browser: no decoding, no re-encoding."""
    with sessionmaker_of(request)() as session:
        camera = _camera(session, camera_id)
        url = (camera.substream_url if sub and camera.substream_url else camera.stream_url)
    if not url.startswith(("http://", "https://")):
        raise HTTPException(409, "camera này không phát MJPEG qua HTTP; xem trực tiếp qua WebRTC chưa có / "
                                 "this camera is not HTTP MJPEG; WebRTC live view is not available yet")
    # The answer never says what the address answered (status, content type, connection error): a camera URL
    # pointing inside the network must not turn this route into a probe of other services. Details are logged.
    refused = HTTPException(502, "Không xem trực tiếp được camera này: camera không phát luồng MJPEG / the camera "
                                 "cannot be viewed live: it did not send an MJPEG stream")
    client = httpx.AsyncClient(timeout=httpx.Timeout(5.0, read=10.0), follow_redirects=False)
    try:
        upstream = await client.send(client.build_request("GET", url), stream=True)
    except httpx.HTTPError as exc:
        await client.aclose()
        log.warning("camera %s live view: %s", camera_id, exc)
        raise refused from exc
    ctype = upstream.headers.get("content-type", "")
    if upstream.status_code != 200 or not ctype.startswith("multipart/x-mixed-replace"):
        await upstream.aclose()
        await client.aclose()
        log.warning("camera %s live view: answered %s %r", camera_id, upstream.status_code, ctype[:100])
        raise refused

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            return
        finally:
            await upstream.aclose()
            await client.aclose()

    return StreamingResponse(body(), media_type=ctype, headers={"Cache-Control": "no-store"})
