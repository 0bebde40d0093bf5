"""The camera wall's WebRTC sessions: a browser sends one offer with a recvonly video m-line per
tile it shows, and gets the media workers' answer; the tiles carry the cameras' H.264 main
streams as their ingest nodes publish them (`ops_center.wall_feeds`), forwarded without
decoding. Cameras that are not RTSP (HTTP MJPEG) are shown from their MJPEG and refused here.

A session belongs to the person who opened it. The page ends it when it goes away; one whose
browser vanished ends when the media worker reports its connection failed or closed (once this
process has opened any wall session, it listens for that).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from core.bounds import RowId
from core.people import User
from core.request_db import db
from ops_center.access import viewers
from ops_center.models import Camera
from ops_center.wall_media import WALL_ROOM, WallLink, WallMedia, camera_participant

log = logging.getLogger(__name__)
router = APIRouter(tags=["ops_center"])
MAX_TILES = 16
# What the media workers refuse in an offer: the browser's fault (400), said in its words.
OFFER_REFUSALS = {"bad_sdp", "no_supported_codec", "too_many_tracks"}


class WallOffer(BaseModel):
    cameras: list[RowId] = Field(min_length=1, max_length=MAX_TILES,
                                 description="the cameras shown, in the order of the offer's video m-lines")
    sdp: str = Field(min_length=10, max_length=200_000, description="complete SDP offer (ICE gathered)")


class WallAnswer(BaseModel):
    session: str
    sdp: str
    cameras: list[int]


class WallSessions:
    """The web process's wall sessions and who opened each."""

    def __init__(self) -> None:
        self.link = WallLink()
        self.owners: dict[str, str] = {}
        self._listening: WallMedia | None = None
        self._task: asyncio.Task | None = None

    async def media(self) -> WallMedia:
        try:
            media = await self.link.media()
        except Exception as exc:
            log.warning("camera wall: media workers unavailable: %s", exc)
            raise HTTPException(503, "Chưa xem được camera qua WebRTC: máy chủ media chưa chạy, thử lại sau / "
                                     "live view unavailable: the media workers are not running, try again "
                                     "shortly") from exc
        if media is not self._listening:
            if self._task is not None:
                self._task.cancel()
            self._listening = media
            self._task = asyncio.ensure_future(self._listen(media))
        return media

    async def _listen(self, media: WallMedia) -> None:
        """Sessions whose browser went away (ICE consent lost: "failed") are removed from the workers,
        including those opened by an earlier run of this process or by another web process: every
        viewer id starts with "wall-", and removing one twice is harmless."""
        async for event in media.events():
            if (getattr(event, "event", None) == "connection" and event.room == WALL_ROOM
                    and event.participant.startswith("wall-") and event.state in ("failed", "closed")):
                self.owners.pop(event.participant, None)
                with contextlib.suppress(Exception):
                    await media.remove_participant(WALL_ROOM, event.participant)

    async def failed(self, media: WallMedia) -> None:
        await self.link.reset(media)


def _sessions(request: Request) -> WallSessions:
    state = request.app.state
    if getattr(state, "ops_wall_sessions", None) is None:
        state.ops_wall_sessions = WallSessions()
    return state.ops_wall_sessions


def _code(exc: Exception) -> str | None:
    code = getattr(exc, "code", None)
    return str(code) if code is not None else None


@router.post("/api/ops/wall/sessions", response_model=WallAnswer,
             responses={400: {"description": "the offer was refused"}, 404: {"description": "no such camera"},
                        409: {"description": "a camera that is not RTSP/H.264: shown from its MJPEG"},
                        503: {"description": "the media workers are not running"}})
async def open_wall_session(body: WallOffer, request: Request, session: Session = Depends(db),
                            user: User = Depends(viewers)) -> dict[str, Any]:
    if len(set(body.cameras)) != len(body.cameras):
        raise HTTPException(400, "mỗi camera chỉ một ô / each camera may be shown in one tile only")
    for camera_id in body.cameras:
        camera = session.get(Camera, camera_id)
        if camera is None or not camera.enabled:
            raise HTTPException(404, f"không có camera {camera_id} đang bật / no enabled camera {camera_id}")
        if not camera.stream_url.lower().startswith(("rtsp://", "rtsps://")):
            raise HTTPException(409, f"camera {camera_id} phát MJPEG qua HTTP: xem bằng luồng MJPEG / camera "
                                     f"{camera_id} is HTTP MJPEG: show it from live.mjpg")
    sessions = _sessions(request)
    media = await sessions.media()
    sid = f"wall-{secrets.token_hex(8)}"
    try:
        answer = await media.add_participant(WALL_ROOM, sid, "wall", body.sdp, video_codec="h264",
                                             shows=[camera_participant(c) for c in body.cameras])
    except Exception as exc:
        if _code(exc) in OFFER_REFUSALS:
            raise HTTPException(400, f"trình duyệt gửi đề nghị không dùng được / the offer was refused: "
                                     f"{getattr(exc, 'message', exc)}") from exc
        await sessions.failed(media)
        log.warning("camera wall: session refused by the media workers: %s", exc)
        raise HTTPException(503, "Máy chủ media không trả lời, thử lại sau / the media workers did not answer, "
                                 "try again shortly") from exc
    sessions.owners[sid] = user.username
    return {"session": sid, "sdp": answer, "cameras": list(body.cameras)}


@router.delete("/api/ops/wall/sessions/{session_id}", status_code=204,
               responses={404: {"description": "no such session of yours"}})
async def close_wall_session(session_id: str, request: Request, user: User = Depends(viewers)) -> None:
    sessions = _sessions(request)
    if sessions.owners.get(session_id) != user.username:
        raise HTTPException(404, "không có phiên xem này / no such wall session of yours")
    del sessions.owners[session_id]
    media = await sessions.media()
    with contextlib.suppress(Exception):  # its worker may be gone, and the session with it
        await media.remove_participant(WALL_ROOM, session_id)
