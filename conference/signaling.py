"""The signaling WebSocket `/ws/meetings/{id}`: one participant per socket, speaking `protocol` v1.
Every refused message gets an `error` on that socket and changes nothing else."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import anyio
from fastapi import APIRouter, Depends, WebSocket
from pydantic import ValidationError
from sqlalchemy.orm import Session

from core.access import require_roles
from core.bounds import MAX_ROW_ID
from core.people import Role, User
from core.protocols import signaling as p

from .archive import live as archive_live
from .controls import UNAVAILABLE, host_control, raise_hand, self_media, share
from .hub import Hub, hub_for
from .journal import close_attendance, close_stale, from_epoch, open_attendance, stop_speaking
from .live import Connection, LiveMeeting, PendingOffer, Person
from .livestate import LiveStateUnavailable, Seat, new_token
from .media.client import MediaClient
from .media.errors import MediaError, MediaErrorCode
from .media.views import AUDIO_DOWNTRACKS_PER_SUBSCRIBER
from .models import Meeting, MeetingStatus
from .offers import OfferProblem, add_candidates, check_offer
from .refusals import Refusal
from .upkeep import RESUME_GRACE_SECONDS

log = logging.getLogger(__name__)
router = APIRouter()
may_join = require_roles(Role.chair, Role.secretary, Role.endpoint, Role.operator, Role.admin)
TRICKLE_WAIT_SECONDS = 3.0
# A socket silent this long (clients ping every few seconds) is taken to be a connection that died
# without closing, e.g. a cut network: a new join for its identity replaces it.
TAKEOVER_SILENCE_SECONDS = 8.0
# The console's tiles: a meeting that fits on one page of the districts' size (the province's 26)
# shows them all; a larger one (131 parties: the communes) shows pages of 5 x 5, and its console
# gets one page of tile slots, filled with the tiles it says it shows (`view`).
ONE_PAGE_TILES = 26
TILES_PER_PAGE = 25


# No close handshake (1006), or the server's keepalive ping went unanswered (1011).
ABNORMAL_CLOSE_CODES = {1006, 1011}


# A v2 client receives a shared screen on one more video m-line (`welcome.slots.screen`).
SCREEN_SLOTS = 1


def _layers(conn: Connection) -> dict[str, Any]:
    """What the media worker must know of this socket's offer: its published video layers in order (a
    third, the screen, while it shares) and how many of its receiving video m-lines show a screen."""
    publish = {"host": ["high"], "district": ["high", "low"]}.get(conn.role or "", [])
    return {"layers": publish + (["screen"] if conn.sharing else []),
            "screen_slots": conn.screen_slots}


def tile_slots(invited: int) -> int:
    return invited if invited <= ONE_PAGE_TILES else TILES_PER_PAGE


@router.websocket("/ws/meetings/{meeting_id}")
async def meeting_socket(websocket: WebSocket, meeting_id: int, user: User = Depends(may_join)) -> None:
    hub = hub_for(websocket)
    await websocket.accept()
    conn = Connection(websocket, Person.of(user), meeting_id)
    conn.start()
    reason = "disconnected"
    try:
        while not conn.detached:
            frame = await websocket.receive()
            if frame["type"] == "websocket.disconnect":
                conn.presence.abnormal_close = frame.get("code") in ABNORMAL_CLOSE_CODES
                break
            conn.presence.hear()
            if frame.get("text") is None:
                conn.send(p.Error(code="invalid_json", message="Chỉ nhận khung văn bản JSON / send JSON text frames, "
                                                               "not binary"))
                continue
            if await handle(hub, conn, frame["text"]) == "leave":
                reason = "left"
                break
    except Exception:
        log.exception("signaling socket of %s failed", conn.participant)
    finally:
        # Shielded: the handler ends only once the participant is out of the meeting, also when it
        # is cancelled (the server stopping, a test client closing the socket).
        with anyio.CancelScope(shield=True):
            await hub.detach(conn, reason)


async def handle(hub: Hub, conn: Connection, text: str) -> str | None:
    ref, kind = None, None
    try:
        try:
            data = json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise Refusal("invalid_json", f"JSON không hợp lệ / not valid JSON: {exc}"[:200]) from exc
        if not isinstance(data, dict):
            raise Refusal("invalid_message", "Mỗi thông điệp là một đối tượng JSON / each message is a JSON object")
        ref = data.get("ref") if isinstance(data.get("ref"), str) and len(data["ref"]) <= 64 else None
        kind = data.get("type") if isinstance(data.get("type"), str) else None
        version = data.get("v")
        if version not in p.SUPPORTED_VERSIONS or isinstance(version, bool):
            supported = ", ".join(f"v={v}" for v in p.SUPPORTED_VERSIONS)
            raise Refusal("unsupported_version", f"Phiên bản giao thức phải là {supported} / protocol version "
                                                 f"must be one of {supported}, got {version!r}")
        if conn.role is None:  # a socket speaks the version of its join
            conn.version = version
        elif version != conn.version:
            raise Refusal("unsupported_version", f"Kết nối này đã vào họp với v={conn.version} / this socket "
                                                 f"joined with v={conn.version}, got v={version}")
        needs = p.CLIENT_SINCE.get(kind, 1)
        if needs > version:
            raise Refusal("unsupported_version", f"Thông điệp {kind} cần v={needs} / message type {kind!r} needs "
                                                 f"protocol v={needs}, got v={version}")
        if kind not in p.CLIENT_TYPES:
            raise Refusal("unknown_type", f"Loại thông điệp không hỗ trợ / unknown message type {kind!r}; "
                                          f"expected one of {', '.join(sorted(p.CLIENT_TYPES))}")
        try:
            message = p.client_adapter.validate_python(data)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(x) for x in e['loc'][1:]) or 'message'}: {e['msg']}"
                                 for e in exc.errors())
            raise Refusal("invalid_message", f"Thông điệp {kind} không hợp lệ / invalid {kind}: {problems}"[:500]) \
                from exc
        if message.meeting is not None and message.meeting != conn.meeting_id:
            raise Refusal("wrong_meeting", f"Kết nối này thuộc cuộc họp {conn.meeting_id}, không phải "
                                           f"{message.meeting} / this socket belongs to meeting {conn.meeting_id}")
        return await dispatch(hub, conn, message)
    except Refusal as refusal:
        conn.send(p.Error(code=refusal.code, message=refusal.message, ref=ref, **{"for": kind}))  # type: ignore[arg-type]
        return None


async def dispatch(hub: Hub, conn: Connection, message: Any) -> str | None:
    if isinstance(message, p.Ping):
        conn.send(p.Pong(ref=message.ref))
        return None
    if isinstance(message, p.Join):
        await join(hub, conn, message)
        return None
    if conn.role is None:
        raise Refusal("not_joined", "Gửi 'join' trước / send 'join' first")
    live = hub.meetings.get(conn.meeting_id)
    if live is None or live.connections.get(conn.participant) is not conn:
        raise Refusal("not_joined", "Kết nối không còn trong cuộc họp / this socket is no longer in the meeting")
    if isinstance(message, p.Leave):
        return "leave"
    if isinstance(message, p.Offer):
        await offer(hub, live, conn, message)
    elif isinstance(message, p.Ice):
        await ice(hub, live, conn, message)
    elif isinstance(message, p.RaiseHand):
        await raise_hand(hub, live, conn, message)
    elif isinstance(message, p.Share):
        await share(hub, live, conn, message)
    elif isinstance(message, p.SelfMedia):
        await self_media(hub, live, conn, message)
    elif isinstance(message, p.View):
        await view(hub, live, conn, message)
    elif message.type in p.HOST_CONTROLS:
        if conn.role != "host":
            raise Refusal("forbidden", "Chỉ chủ trì cuộc họp được điều khiển / only the meeting's hosts (chair, "
                                       "secretary) may use host controls")
        await host_control(hub, live, conn, message)
    return None


# -- joining -----------------------------------------------------------------------------------------


def _load_meeting(session: Session, meeting_id: int) -> Meeting | None:
    if not 1 <= meeting_id <= MAX_ROW_ID:  # no such row can exist; the join gets `not_found` like any other
        return None
    meeting = session.get(Meeting, meeting_id)
    if meeting is not None:
        meeting.invited_ids()  # load while the session is open
    return meeting


def _check_role(meeting: Meeting, person: Person, role: str) -> None:
    is_host = person.user_id in (meeting.chair_id, meeting.secretary_id)
    if role == "host" and not is_host:
        raise Refusal("role_not_allowed", "Chỉ chủ tọa và thư ký của cuộc họp vào với vai trò chủ trì / only this "
                                          "meeting's chair and secretary join as host")
    if role == "district":
        if person.account_role != Role.endpoint:
            raise Refusal("role_not_allowed", "Vai trò điểm cầu dành cho tài khoản điểm cầu / only endpoint "
                                              "accounts join as district")
        if person.user_id not in meeting.invited_ids():
            raise Refusal("not_invited", "Điểm cầu này không được mời vào cuộc họp / this endpoint is not invited")
    if role == "observer" and not (is_host or person.account_role in (Role.operator, Role.admin)):
        raise Refusal("role_not_allowed", "Chỉ cán bộ vận hành theo dõi cuộc họp / only operations staff observe")


async def join(hub: Hub, conn: Connection, message: p.Join) -> None:
    if conn.role is not None:
        raise Refusal("already_joined", "Kết nối này đã vào cuộc họp / this socket has already joined")
    meeting = await hub.db(_load_meeting, conn.meeting_id, write=False)
    if meeting is None:
        raise Refusal("not_found", f"Không có cuộc họp số {conn.meeting_id} / no such meeting")
    if meeting.status == MeetingStatus.ended:
        raise Refusal("meeting_ended", "Cuộc họp đã kết thúc / the meeting has ended")
    _check_role(meeting, conn.person, message.role)
    await hub.started()
    live = hub.live(meeting)
    pid = conn.participant
    old = live.connections.get(pid)
    if old is not None and time.time() - old.presence.heard > TAKEOVER_SILENCE_SECONDS:
        old.presence.taken_over = True
        await hub.detach(old, "disconnected", close_code=4002)
        live = hub.live(meeting)  # the old socket may have been the last one, ending the live meeting
    if pid in live.connections:
        raise _duplicate(pid)
    live.connections[pid] = conn  # claimed before any await, so a racing second join is refused
    conn.role = message.role
    person, meeting_id = conn.person, meeting.id
    seat = conn.seat = Seat(pid, person.full_name, message.role, person.unit, person.unit_name, person.user_id,
                            person.unit_id, owner=hub.state.process, token=new_token(), since=time.time())
    try:
        try:
            claim = await hub.state.claim(meeting_id, seat, silent_after=TAKEOVER_SILENCE_SECONDS)
        except LiveStateUnavailable as exc:
            raise Refusal(*UNAVAILABLE) from exc
        if claim.outcome == "duplicate":
            raise _duplicate(pid)
    except Refusal:
        live.connections.pop(pid, None)
        conn.role, conn.seat = None, None
        await hub.forget_if_empty(live)
        raise
    at = datetime.now(UTC)
    old_seat, heard = claim.old, claim.heard
    # The socket's web process was stopped or killed and the participant came back within the
    # grace period: the same attendance interval goes on, no gap; later, the interval ended when
    # it was last heard and a new one begins.
    resumed = (old_seat is not None and old_seat.attendance_id is not None and not claim.owner_alive
               and heard is not None and at.timestamp() - heard <= RESUME_GRACE_SECONDS)

    def attend(session: Session) -> int:
        if resumed:
            assert old_seat is not None and old_seat.attendance_id is not None
            return old_seat.attendance_id
        if old_seat is not None and old_seat.attendance_id is not None and heard is not None:
            close_attendance(session, old_seat.attendance_id, from_epoch(heard), "disconnected")
            stop_speaking(session, meeting_id=meeting_id, at=from_epoch(heard), participant=pid)
        close_stale(session, at=at, meeting_id=meeting_id, participant=pid)
        return open_attendance(session, meeting_id=meeting_id, user_id=person.user_id, unit_id=person.unit_id,
                               participant=pid, role=message.role, at=at).id

    try:
        conn.attendance_id = await hub.db(attend)
        seat = conn.seat = dataclasses.replace(seat, attendance_id=conn.attendance_id)
        await hub.state.apply(meeting_id, [], writes={f"seat:{pid}": seat.as_dict()}, guard=(pid, conn.token))
        state = await hub.state.state(meeting_id)
        you = state.info(pid)
        if you is None:  # a later join took the seat meanwhile
            raise _duplicate(pid)
        await hub.state.apply(meeting_id, [p.ParticipantJoined(participant=you)], skip=pid,
                              effects=[["taken", pid, conn.token]] if claim.owner_alive else None)
    except Exception as exc:
        live.connections.pop(pid, None)
        token, conn.role, conn.seat = conn.token, None, None
        if not isinstance(exc, Refusal):
            with contextlib.suppress(LiveStateUnavailable):
                await hub.state.apply(meeting_id, [], writes={f"seat:{pid}": None}, guard=(pid, token))
        await hub.forget_if_empty(live)
        if isinstance(exc, LiveStateUnavailable):
            raise Refusal(*UNAVAILABLE) from exc
        raise
    conn.video_slots = 2 if message.role == "district" else 1 + tile_slots(len(live.invited))
    slots = p.Slots(video=conn.video_slots,
                    audio=AUDIO_DOWNTRACKS_PER_SUBSCRIBER, screen=SCREEN_SLOTS if conn.version >= 2 else 0)
    publish = {"host": ["audio", "high"], "district": ["audio", "high", "low"], "observer": []}[message.role]
    conn.send(p.Welcome(
        ref=message.ref, you=you, meeting=live.info(), publish=publish, slots=slots,  # type: ignore[arg-type]
        participants=state.infos(skip=pid), speaker=state.speaker,
        speaker_source=state.speaker_source, floor=state.floor, spotlight=state.spotlight,  # type: ignore[arg-type]
        raised_hands=state.raised_order(), screen=state.screen))
    await hub.publish("conference.joined", {"meeting": meeting.id, "participant": pid, "role": message.role,
                                            "unit": conn.person.unit, "unit_name": conn.person.unit_name,
                                            "at": at.isoformat(), **({"resumed": True} if resumed else {})})


def _duplicate(pid: str) -> Refusal:
    return Refusal("duplicate_identity", f"{pid} đã có mặt trong cuộc họp từ một kết nối khác / {pid} is "
                                         "already connected to this meeting on another socket")


async def view(hub: Hub, live: LiveMeeting, conn: Connection, message: p.View) -> None:
    if conn.role == "district":
        raise Refusal("role_not_allowed", "Chỉ bàn điều khiển chọn ô hình / only consoles (host, observer) choose "
                                          "the tiles they show")
    tiles = tile_slots(len(live.invited))
    if len(message.participants) > tiles:
        raise Refusal("invalid_message", f"Tối đa {tiles} ô hình một trang / at most {tiles} tiles on a page in "
                                         f"this meeting, got {len(message.participants)}")
    conn.view = list(message.participants)
    if conn.in_media:
        await hub.media_call("set_view", live.room_id, conn.participant, conn.view)
    conn.send(p.Ack(ref=message.ref, for_=message.type))


# -- media negotiation ---------------------------------------------------------------------------------


async def offer(hub: Hub, live: LiveMeeting, conn: Connection, message: p.Offer) -> None:
    try:
        summary = check_offer(message.sdp, live.video_codec, sharing=conn.sharing)
    except OfferProblem as problem:
        raise Refusal(problem.code, problem.message) from problem
    if conn.role == "observer" and summary.published:
        raise Refusal("role_not_allowed", "Người theo dõi chỉ nhận, không gửi / observers receive only: offer "
                                          "recvonly m-lines")
    if conn.pending_offer is not None and conn.pending_offer.timer is not None:
        conn.pending_offer.timer.cancel()
    # Receiving video m-lines beyond the slots of its role (only a v2 client offers them): the shared screen.
    conn.screen_slots = max(0, min(SCREEN_SLOTS, summary.received.get("video", 0) - conn.video_slots))
    if not message.trickle:
        conn.pending_offer = None
        await negotiate(hub, live, conn, message.sdp, message.ref)
        return
    pending = conn.pending_offer = PendingOffer(message.sdp, message.ref)
    pending.timer = asyncio.ensure_future(_trickle_deadline(hub, live, conn, pending))


async def _trickle_deadline(hub: Hub, live: LiveMeeting, conn: Connection, pending: PendingOffer) -> None:
    await asyncio.sleep(TRICKLE_WAIT_SECONDS)
    if conn.pending_offer is pending and not conn.detached:
        conn.pending_offer = None
        try:
            await negotiate(hub, live, conn, add_candidates(pending.sdp, pending.candidates), pending.ref)
        except Refusal as refusal:
            conn.send(p.Error(code=refusal.code, message=refusal.message, ref=pending.ref,  # type: ignore[arg-type]
                              **{"for": "offer"}))


async def ice(hub: Hub, live: LiveMeeting, conn: Connection, message: p.Ice) -> None:
    """Candidates complete a trickled offer; after the answer they are not needed (the server's
    candidates are all in its answer and the client's were folded into its offer)."""
    pending = conn.pending_offer
    if pending is None:
        return
    if message.candidate:
        pending.candidates.append((message.candidate, message.sdp_mid, message.sdp_mline_index))
        return
    if pending.timer is not None:
        pending.timer.cancel()
    conn.pending_offer = None
    await negotiate(hub, live, conn, add_candidates(pending.sdp, pending.candidates), pending.ref)


# What a participant is told when the media workers refuse its offer or cannot take it, chosen by
# the error's code alone (the worker's message follows, for people).
MEDIA_REFUSALS: dict[MediaErrorCode, tuple[p.ErrorCode, str]] = {
    MediaErrorCode.BAD_SDP: ("bad_sdp", "Máy chủ media không nhận SDP này / the media server refused the SDP"),
    MediaErrorCode.NO_SUPPORTED_CODEC: ("no_supported_codec", "Thiếu codec của cuộc họp / the offer lacks the "
                                                              "meeting's codec"),
    MediaErrorCode.TOO_MANY_TRACKS: ("too_many_tracks", "Quá nhiều luồng gửi hoặc nhận / too many tracks"),
    MediaErrorCode.WORKER_UNAVAILABLE: ("media_unavailable", "Máy chủ media không trả lời / the media workers "
                                                             "are not available"),
    MediaErrorCode.CLIENT_CLOSED: ("media_unavailable", "Mất kết nối tới máy chủ media, hãy gửi lại offer / lost "
                                                        "the media workers' channel: send the offer again"),
}
MEDIA_REFUSED = ("media_refused", "Máy chủ media từ chối / the media server refused")


def _media_refusal(exc: MediaError) -> Refusal:
    code, text = MEDIA_REFUSALS.get(exc.code, MEDIA_REFUSED)
    return Refusal(code, f"{text}: {exc.message}"[:500])


async def _drop_leftover_session(media: MediaClient, live: LiveMeeting, pid: str) -> None:
    """Drop `pid`'s media session if it still has one."""
    try:
        await media.remove_participant(live.room_id, pid)
    except MediaError as exc:
        if exc.code is not MediaErrorCode.NOT_CONNECTED:
            raise


async def negotiate(hub: Hub, live: LiveMeeting, conn: Connection, sdp: str, ref: str | None) -> None:
    async with conn.negotiating:
        try:
            media = await hub.media()
        except MediaError as exc:
            raise Refusal("media_unavailable", f"Máy chủ media chưa chạy / the media workers are not running: "
                                               f"{exc.message}") from exc
        pid = conn.participant
        try:
            if conn.in_media:  # renegotiation: the new offer replaces the media session
                conn.in_media = False
                with contextlib.suppress(MediaError):  # whatever the reason, that session is gone or going
                    await media.remove_participant(live.room_id, pid)
            if live.record:
                await archive_live.record_room(hub, live.id, live.room_id, media)
            try:
                answer = await media.add_participant(live.room_id, pid, conn.role or "observer", sdp,
                                                     video_codec=live.video_codec, view=conn.view,
                                                     **_layers(conn))
            except MediaError as exc:
                if exc.code is not MediaErrorCode.ALREADY_CONNECTED:
                    raise
                # A session left over from this participant's previous connection, whose removal
                # has not reached the worker yet: this socket owns the identity now.
                await _drop_leftover_session(media, live, pid)
                answer = await media.add_participant(live.room_id, pid, conn.role or "observer", sdp,
                                                     video_codec=live.video_codec, view=conn.view,
                                                     **_layers(conn))
        except MediaError as exc:
            if exc.code is MediaErrorCode.CLIENT_CLOSED:
                await hub.media_failed(media)
            raise _media_refusal(exc) from exc
        if conn.detached:
            with contextlib.suppress(MediaError):
                await media.remove_participant(live.room_id, pid)
            return
        conn.in_media = True
        conn.media_state = "connecting"
        lost_at = conn.presence.media_lost
        conn.presence.new_media_session()
        conn.send(p.Answer(ref=ref, sdp=answer))
        conn.send(p.IceDone())
        with contextlib.suppress(MediaError, LiveStateUnavailable):
            state = await hub.state.state(live.id)
            if pid in state.muted:
                await media.mute(live.room_id, pid, True)
            if state.spotlight is not None:
                await media.set_spotlight(live.room_id, state.spotlight)
    if lost_at is not None:
        await _record_outage(hub, live, conn, lost_at)


async def _record_outage(hub: Hub, live: LiveMeeting, conn: Connection, lost_at: float) -> None:
    """Its media came back on the same socket (a renegotiation after its worker died or its
    connection failed): the record shows the outage as a gap, as if it had rejoined."""
    if conn.attendance_id is None or conn.detached:
        return
    old_id, person, pid, role = conn.attendance_id, conn.person, conn.participant, conn.role or "observer"
    lost, back = from_epoch(lost_at), datetime.now(UTC)

    def split(session: Session) -> int:
        close_attendance(session, old_id, lost, "disconnected")
        stop_speaking(session, meeting_id=live.id, at=lost, participant=pid)
        return open_attendance(session, meeting_id=live.id, user_id=person.user_id, unit_id=person.unit_id,
                               participant=pid, role=role, at=back).id

    conn.attendance_id = new_id = await hub.db(split)
    if conn.detached:  # it left while the record was being split: its new interval ends at once
        await hub.db(lambda session: close_attendance(session, new_id, datetime.now(UTC), "disconnected"))
        return
    event = {"meeting": live.id, "participant": pid, "unit": person.unit, "unit_name": person.unit_name}
    await hub.publish("conference.left", event | {"reason": "disconnected", "at": lost.isoformat()})
    await hub.publish("conference.joined", event | {"role": role, "at": back.isoformat()})
