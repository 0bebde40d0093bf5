"""Raised hands and the host controls (mute, spotlight, grant the floor, remove, end the meeting):
applied to the live meeting and the media room, told to everyone, and written to the record."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlalchemy.orm import Session

from core.people import User
from core.protocols import signaling as p

from .hub import Hub
from .journal import add_action
from .live import Connection, LiveMeeting
from .media.errors import MediaError
from .models import Meeting
from .refusals import Refusal
from .scheduling import end


async def _record(hub: Hub, live: LiveMeeting, conn: Connection, action: str, target: str = "",
                  detail: dict[str, Any] | None = None) -> None:
    meeting_id, actor, role = live.id, conn.participant, conn.role or ""
    await hub.db(lambda s: add_action(s, meeting_id=meeting_id, actor=actor, actor_role=role, action=action,
                                      target=target, detail=detail))
    await hub.publish("conference.action", {"meeting": meeting_id, "actor": actor, "action": action,
                                            "target": target, "detail": detail or {}})


async def raise_hand(hub: Hub, live: LiveMeeting, conn: Connection, message: p.RaiseHand) -> None:
    if conn.hand_raised != message.raised:
        conn.hand_raised = message.raised
        live.raise_hand(conn.participant, message.raised)
        live.broadcast(p.HandRaised(participant=conn.participant, raised=message.raised))
        await _record(hub, live, conn, "raise_hand" if message.raised else "lower_hand")
    conn.send(p.Ack(ref=message.ref, for_=message.type))


def _target(live: LiveMeeting, participant: str) -> Connection:
    target = live.connections.get(participant)
    if target is None:
        raise Refusal("unknown_participant", f"{participant!r} không có mặt trong cuộc họp / is not in the meeting")
    return target


async def _media_call(hub: Hub, call: str, *args: Any) -> None:
    """Apply a control to the media room if it has one yet; before anyone has media the state kept
    here is applied when they negotiate."""
    router = hub._router
    if router is None:
        return
    with contextlib.suppress(MediaError, asyncio.TimeoutError):
        await getattr(router, call)(*args)


async def host_control(hub: Hub, live: LiveMeeting, conn: Connection, message: Any) -> None:
    by = conn.participant
    if isinstance(message, p.Mute):
        target = _target(live, message.participant)
        (live.muted.add if message.muted else live.muted.discard)(target.participant)
        await _media_call(hub, "mute", live.room_id, target.participant, message.muted)
        live.broadcast(p.Muted(participant=target.participant, muted=message.muted, by=by))
        await _record(hub, live, conn, "mute" if message.muted else "unmute", target.participant)
    elif isinstance(message, p.Spotlight):
        if message.participant is not None:
            _target(live, message.participant)
        live.spotlight = message.participant
        await _media_call(hub, "set_spotlight", live.room_id, message.participant)
        live.broadcast(p.SpotlightChanged(participant=message.participant, by=by))
        await _record(hub, live, conn, "spotlight", message.participant or "")
    elif isinstance(message, p.GrantFloor):
        target = _target(live, message.participant)
        pid = target.participant
        live.spotlight = pid
        await _media_call(hub, "set_spotlight", live.room_id, pid)
        if pid in live.muted:
            live.muted.discard(pid)
            await _media_call(hub, "mute", live.room_id, pid, False)
            live.broadcast(p.Muted(participant=pid, muted=False, by=by))
        if target.hand_raised:
            target.hand_raised = False
            live.raise_hand(pid, False)
            live.broadcast(p.HandRaised(participant=pid, raised=False))
        live.broadcast(p.FloorGranted(participant=pid, by=by))
        await _record(hub, live, conn, "grant_floor", pid)
    elif isinstance(message, p.Remove):
        target = _target(live, message.participant)
        live.broadcast(p.Removed(participant=target.participant, by=by))
        await _record(hub, live, conn, "remove", target.participant)
        conn.send(p.Ack(ref=message.ref, for_=message.type))
        await hub.detach(target, "removed", close_code=4000)
        return
    elif isinstance(message, p.EndMeeting):
        meeting_id = live.id

        def finish(session: Session) -> None:
            meeting = session.get(Meeting, meeting_id)
            actor = session.get(User, conn.person.user_id)
            assert meeting is not None and actor is not None
            end(session, meeting, actor)

        await hub.db(finish)
        conn.send(p.Ack(ref=message.ref, for_=message.type))
        await hub.end_meeting(meeting_id, by)
        return
    conn.send(p.Ack(ref=message.ref, for_=message.type))
