"""Meetings over HTTP (`/api/meetings...`), plus the signaling socket."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from sqlalchemy import select
from sqlalchemy.orm import Session

from conference import signaling
from conference.hub import existing_hub
from conference.journal import Attendance, aware
from conference.models import Meeting, MeetingStatus
from conference.record import meeting_record, timeline
from conference.scheduling import (
    MeetingIn,
    MeetingRefused,
    end,
    may_read_record,
    meeting_json,
    schedule,
    start,
    visible_meeting,
)
from core.access import any_user, require_roles, staff
from core.bounds import RowId
from core.errors import Kind
from core.people import Role, User
from core.protocols.signaling import json_schema
from core.record_access import REFUSAL
from core.request_db import db

log = logging.getLogger(__name__)


router = APIRouter()
api = APIRouter(prefix="/api/meetings", tags=["meetings"])
organisers = require_roles(Role.chair, Role.secretary, Role.admin)


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


def _meeting(session: Session, meeting_id: RowId, user: User) -> Meeting:
    return visible_meeting(session, meeting_id, user)


@api.get("/protocol")
def protocol_schema(user: User = Depends(any_user)) -> dict[str, Any]:
    """JSON Schema of the signaling protocol (both directions) for client authors."""
    return json_schema()


@api.post("", status_code=201)
def create_meeting(body: MeetingIn, request: Request, user: User = Depends(organisers),
                   session: Session = Depends(db)) -> dict[str, object]:
    meeting = schedule(session, body, user, ip=_ip(request))
    result = meeting_json(meeting)
    session.commit()  # before the answer: `Depends(db)` would commit only after the response is sent
    return result


@api.get("")
def list_meetings(user: User = Depends(any_user), session: Session = Depends(db),
                  status: MeetingStatus | None = Query(None), limit: int = Query(100, ge=1, le=500),
                  ) -> list[dict[str, object]]:
    query = select(Meeting).order_by(Meeting.scheduled_at.desc()).limit(limit)
    if status is not None:
        query = query.where(Meeting.status == status.value)
    if user.role == Role.endpoint:
        from conference.models import Invitation

        query = query.join(Invitation, Invitation.meeting_id == Meeting.id).where(Invitation.user_id == user.id)
    return [meeting_json(m) for m in session.execute(query).unique().scalars()]


@api.get("/{meeting_id}")
def get_meeting(meeting_id: RowId, user: User = Depends(any_user), session: Session = Depends(db)) -> dict[str, object]:
    return meeting_json(_meeting(session, meeting_id, user))


def _host_or_admin(meeting: Meeting, user: User) -> None:
    if user.role != Role.admin and not meeting.is_host(user):
        raise HTTPException(403, "Chỉ chủ tọa, thư ký của cuộc họp này (hoặc quản trị) / only this meeting's chair "
                                 "or secretary (or an administrator) may do this")


def _tell_hub(request: Request, meeting_id: RowId, by: str) -> None:
    """Disconnect everyone from an ended meeting, on the loop that holds their sockets."""
    hub = existing_hub(request)
    # With a shared live state other web processes may hold the sockets: the hub tells them.
    if hub is None or (meeting_id not in hub.meetings and not hub.state.shared):
        return
    future = asyncio.run_coroutine_threadsafe(hub.end_meeting(meeting_id, by), hub.loop)
    try:
        future.result(timeout=15)
    except Exception:
        log.exception("could not close the sockets of meeting %s", meeting_id)


@api.post("/{meeting_id}/start")
def start_meeting(meeting_id: RowId, request: Request, user: User = Depends(organisers),
                  session: Session = Depends(db)) -> dict[str, object]:
    meeting = _meeting(session, meeting_id, user)
    _host_or_admin(meeting, user)
    start(session, meeting, user, ip=_ip(request))
    result = meeting_json(meeting)
    session.commit()  # before the answer: `Depends(db)` would commit only after the response is sent
    hub = existing_hub(request)
    if hub is not None and meeting_id in hub.meetings:
        hub.meetings[meeting_id].status = meeting.status
    return result


@api.post("/{meeting_id}/end")
def end_meeting(meeting_id: RowId, request: Request, user: User = Depends(organisers),
                session: Session = Depends(db)) -> dict[str, object]:
    meeting = _meeting(session, meeting_id, user)
    _host_or_admin(meeting, user)
    was_ended = meeting.status == MeetingStatus.ended
    end(session, meeting, user, ip=_ip(request))
    result = meeting_json(meeting)
    session.commit()  # the record is closed before the sockets learn of it
    if not was_ended:
        _tell_hub(request, meeting_id, user.username)
    return result


def _record_of(session: Session, meeting_id: RowId, user: User) -> Meeting:
    meeting = _meeting(session, meeting_id, user)
    if not may_read_record(session, meeting, user):
        raise HTTPException(403, REFUSAL)
    return meeting


@api.get("/{meeting_id}/attendance")
def attendance(meeting_id: RowId, user: User = Depends(staff), session: Session = Depends(db)) -> dict[str, object]:
    """Per unit: who was connected when (core.record_access decides who may read it)."""
    _record_of(session, meeting_id, user)
    record = meeting_record(session, meeting_id)
    return {"meeting": meeting_id, "status": record.status, "invited": len(record.invited),
            "attended": sum(1 for a in record.attendance if any(i.role == "district" for i in a.intervals)),
            "units": [a.model_dump(mode="json") for a in record.attendance],
            "absent": [u.model_dump(mode="json") for u in record.absent]}


@api.get("/{meeting_id}/timeline")
def meeting_timeline(meeting_id: RowId, user: User = Depends(staff), session: Session = Depends(db),
                     ) -> dict[str, object]:
    _record_of(session, meeting_id, user)
    record = meeting_record(session, meeting_id)
    return {"meeting": meeting_id, "status": record.status, "events": timeline(session, meeting_id),
            "speaking": [s.model_dump(mode="json") for s in record.speaking]}


@api.get("/{meeting_id}/stats")
def meeting_stats(meeting_id: RowId, user: User = Depends(staff), session: Session = Depends(db),
                  ) -> dict[str, object]:
    """The latest link figures of everyone connected (the media workers report every few seconds)."""
    meeting = _meeting(session, meeting_id, user)
    rows = session.execute(select(Attendance).where(Attendance.meeting_id == meeting_id, Attendance.left_at.is_(None))
                           .order_by(Attendance.joined_at)).scalars().all()
    return {"meeting": meeting_id, "status": meeting.status, "participants": [
        {"participant": r.participant, "role": r.role, "unit": r.user.unit.code if r.user.unit else None,
         "unit_name": r.user.unit.short_name if r.user.unit else None,
         "connected_since": aware(r.joined_at).isoformat(),
         "measured_at": aware(r.stats_at).isoformat() if r.stats_at else None, "link": r.stats()} for r in rows]}


@api.get("/{meeting_id}/forwarding")
def meeting_forwarding(meeting_id: RowId, request: Request, user: User = Depends(staff),
                       session: Session = Depends(db)) -> dict[str, object]:
    """What the media workers forward to each participant now: per receiving m-line the participant
    and layer it carries and the packets it has sent (a console receives its visible page only)."""
    _meeting(session, meeting_id, user)
    hub = existing_hub(request)
    participants: list[dict[str, object]] = []
    if hub is not None and meeting_id in hub.meetings:
        future = asyncio.run_coroutine_threadsafe(hub.forwarding(meeting_id), hub.loop)
        try:
            participants = future.result(timeout=15)
        except Exception as exc:
            log.exception("could not read the forwarding of meeting %s", meeting_id)
            raise MeetingRefused(Kind.unavailable, "Máy chủ media không trả lời, thử lại / the media workers did "
                                                   "not answer, retry") from exc
    return {"meeting": meeting_id, "participants": participants}


router.include_router(api)
router.include_router(signaling.router)
