"""Raised hands and the host controls (mute, spotlight, grant the floor, remove, end the meeting):
applied to the live state (once: a control's `ref` is its action id) and the media room, told to
everyone, and written to the record.

With several web processes a control is one atomic change of the live state that also leaves a
journal entry naming what remains to do (the record's row, the media room's setting); the process
that applied it does that and clears the entry. If it is killed in between, another process finds
the entry of a process that is gone and finishes it (`Hub` sweeps), so the control is applied and
recorded once, or (killed before the change) not at all and the host sees no acknowledgement."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.orm import Session

from core.people import User
from core.protocols import signaling as p

from .hub import Hub
from .live import Connection, LiveMeeting
from .livestate import LiveStateUnavailable, MeetingState, Outcome, new_token, writes_of
from .models import Meeting
from .refusals import Refusal
from .scheduling import end

UNAVAILABLE = ("live_state_unavailable", "Trạng thái cuộc họp tạm thời không truy cập được, thao tác chưa được "
                                         "thực hiện; hãy thử lại sau ít giây / the meeting's live state is "
                                         "unavailable: nothing was changed, try again in a few seconds")


async def _control(hub: Hub, live: LiveMeeting, conn: Connection, message: Any, told: list[Any], action: str,
                   target: str = "", *, media: list[list[Any]] | None = None, requires: list[str] | None = None,
                   effects: list[list[Any]] | None = None) -> Outcome:
    """Apply one control: the change and its messages at once, then its media calls and its row."""
    action_id = f"{live.id}:{conn.participant}:{message.type}:{message.ref}" if message.ref else None
    entry = {"actor": conn.participant, "role": conn.role or "", "action": action, "target": target,
             "media": media or [], "owner": hub.state.process, "at": time.time()}
    writes = None
    if hub.state.shared:
        now = time.time()
        writes = {}
        for m in told:
            writes.update(writes_of(m, now))
        journal = f"journal:{action_id or new_token()}"
        writes[journal] = entry
    try:
        outcome = await hub.state.apply(live.id, told, writes=writes, action=action_id, requires=requires or [],
                                        effects=effects)
    except LiveStateUnavailable as exc:
        raise Refusal(*UNAVAILABLE) from exc
    if outcome == "missing":
        raise Refusal("unknown_participant", f"{target!r} không có mặt trong cuộc họp / is not in the meeting")
    if outcome == "applied":
        await hub.pause_for_faults()
        if writes is not None:
            await hub.finish_action(live.id, journal, entry)
        else:
            for call in entry["media"]:
                await hub.media_call(*call)
            await hub.record_action(live.id, entry)
    return outcome


async def raise_hand(hub: Hub, live: LiveMeeting, conn: Connection, message: p.RaiseHand) -> None:
    state = await _state(hub, live)
    if state.hand_raised(conn.participant) != message.raised:
        await _control(hub, live, conn, message, [p.HandRaised(participant=conn.participant, raised=message.raised)],
                       "raise_hand" if message.raised else "lower_hand", requires=[f"seat:{conn.participant}"])
    conn.send(p.Ack(ref=message.ref, for_=message.type))


async def self_media(hub: Hub, live: LiveMeeting, conn: Connection, message: p.SelfMedia) -> None:
    """Its own microphone and camera: the participant stops sending them itself; everyone is told.
    Not written to the record: the host's mute is the meeting's action, this is a person's own."""
    if conn.role == "observer":
        raise Refusal("role_not_allowed", "Người theo dõi không gửi âm thanh, hình ảnh / observers publish nothing")
    told = p.SelfMediaChanged(participant=conn.participant, audio=message.audio, video=message.video)
    try:
        outcome = await hub.state.apply(live.id, [told], requires=[f"seat:{conn.participant}"])
    except LiveStateUnavailable as exc:
        raise Refusal(*UNAVAILABLE) from exc
    if outcome == "missing":
        raise Refusal("not_joined", "Kết nối không còn trong cuộc họp / this socket is no longer in the meeting")
    conn.send(p.Ack(ref=message.ref, for_=message.type))


async def share(hub: Hub, live: LiveMeeting, conn: Connection, message: p.Share) -> None:
    """A host, or whoever holds the floor (the presenter of an agenda item), shares a screen; one at a time."""
    pid = conn.participant
    state = await _state(hub, live)
    if message.on:
        if conn.role != "host" and state.floor != pid:
            raise Refusal("forbidden", "Chỉ chủ trì hoặc người đang được mời phát biểu mới trình chiếu / only a "
                                       "host or the participant holding the floor may share a screen")
        if state.screen not in (None, pid):
            raise Refusal("forbidden", f"{state.screen} đang trình chiếu; chờ dừng rồi thử lại / {state.screen} "
                                       "is sharing a screen now: wait until it stops")
    conn.sharing = message.on
    if (state.screen == pid) != message.on:
        try:
            await hub.state.apply(live.id, [p.ScreenShare(participant=pid if message.on else None)],
                                  requires=[f"seat:{pid}"])
        except LiveStateUnavailable as exc:
            raise Refusal(*UNAVAILABLE) from exc
    conn.send(p.Ack(ref=message.ref, for_=message.type))


async def _state(hub: Hub, live: LiveMeeting) -> MeetingState:
    try:
        return await hub.state.state(live.id)
    except LiveStateUnavailable as exc:
        raise Refusal(*UNAVAILABLE) from exc


def _target(state: MeetingState, participant: str) -> str:
    if state.seat(participant) is None:
        raise Refusal("unknown_participant", f"{participant!r} không có mặt trong cuộc họp / is not in the meeting")
    return participant


async def host_control(hub: Hub, live: LiveMeeting, conn: Connection, message: Any) -> None:
    by = conn.participant
    if isinstance(message, p.EndMeeting):
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
    state = await _state(hub, live)
    if isinstance(message, p.Mute):
        pid = _target(state, message.participant)
        await _control(hub, live, conn, message, [p.Muted(participant=pid, muted=message.muted, by=by)],
                       "mute" if message.muted else "unmute", pid, media=[["mute", live.room_id, pid, message.muted]],
                       requires=[f"seat:{pid}"])
    elif isinstance(message, p.Spotlight):
        if message.participant is not None:
            _target(state, message.participant)
        if await _control(hub, live, conn, message, [p.SpotlightChanged(participant=message.participant, by=by)],
                          "spotlight", message.participant or "",
                          media=[["set_spotlight", live.room_id, message.participant]],
                          requires=[f"seat:{message.participant}"] if message.participant else []) == "applied":
            await hub.settle_speaker(live.id)
    elif isinstance(message, p.GrantFloor):
        pid = _target(state, message.participant)
        told: list[Any] = []
        media: list[list[Any]] = [["set_spotlight", live.room_id, pid]]
        if pid in state.muted:
            told.append(p.Muted(participant=pid, muted=False, by=by))
            media.append(["mute", live.room_id, pid, False])
        if state.hand_raised(pid):
            told.append(p.HandRaised(participant=pid, raised=False))
        told.append(p.FloorGranted(participant=pid, by=by))
        if await _control(hub, live, conn, message, told, "grant_floor", pid, media=media,
                          requires=[f"seat:{pid}"]) == "applied":
            await hub.settle_speaker(live.id)
    elif isinstance(message, p.Remove):
        pid = _target(state, message.participant)
        outcome = await _control(hub, live, conn, message, [p.Removed(participant=pid, by=by)], "remove", pid,
                                 requires=[f"seat:{pid}"],
                                 effects=None if pid in live.connections else [["removed", pid]])
        conn.send(p.Ack(ref=message.ref, for_=message.type))
        target = live.connections.get(pid)
        if outcome == "applied" and target is not None:  # on this process: done when it is out
            await hub.detach(target, "removed", close_code=4000)
        return
    conn.send(p.Ack(ref=message.ref, for_=message.type))
