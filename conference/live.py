"""A meeting while it runs, as one web process sees it: the meeting's particulars and the sockets
this process holds, one per participant. What every web process shares (who is in, hands, mutes,
spotlight, speaker, link figures) is in the live state (`livestate.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from pydantic import BaseModel
from starlette.websockets import WebSocket

from core.people import User
from core.protocols.signaling import VERSION, MeetingInfo, encode, for_version

from .livestate import Seat
from .models import Meeting
from .presence import Presence

log = logging.getLogger(__name__)
OUTBOX = 2000  # messages queued for one slow socket before it is dropped rather than stall the meeting


@dataclass(frozen=True)
class Person:
    """What signaling needs of an account, detached from any database session."""

    user_id: int
    username: str
    full_name: str
    account_role: str
    unit_id: int | None
    unit: str | None
    unit_name: str | None

    @classmethod
    def of(cls, user: User) -> Person:
        unit = user.unit
        return cls(user.id, user.username, user.full_name, user.role, user.unit_id,
                   unit.code if unit else None, unit.short_name if unit else None)


class Connection:
    """One participant's signaling socket. Sends go through a queue drained by one writer task,
    so a broadcast never waits on a slow client and messages keep their order."""

    def __init__(self, websocket: WebSocket, person: Person, meeting_id: int) -> None:
        self.ws = websocket
        self.person = person
        self.meeting_id = meeting_id
        self.role: str | None = None
        self.version = 1  # of the signaling protocol this socket speaks (set by its messages until it joins)
        self.view: list[str] | None = None  # a console's visible tiles (`view`), applied to each media session
        self.sharing = False  # its offers carry a shared screen (`share`)
        self.video_slots = 0  # receiving video m-lines its role gets (`welcome.slots.video`)
        self.screen_slots = 0  # receiving video m-lines its last offer has beyond those: the shared screen
        self.attendance_id: int | None = None
        self.in_media = False
        self.media_state = "new"
        self.seat: Seat | None = None  # the participant's seat in the live state, held by this socket
        self.detached = False
        self.presence = Presence()
        self.pending_offer: PendingOffer | None = None
        self.negotiating = asyncio.Lock()
        self._outbox: asyncio.Queue[str | tuple[int, str]] = asyncio.Queue(OUTBOX)
        self._writer: asyncio.Task[None] | None = None

    @property
    def token(self) -> str:
        return self.seat.token if self.seat is not None else ""

    @property
    def participant(self) -> str:
        return self.person.username

    def start(self) -> None:
        self._writer = asyncio.ensure_future(self._write())

    def send(self, message: BaseModel) -> None:
        self.send_text(encode(message))

    def send_text(self, text: str) -> None:
        """`text`: a message encoded in the protocol's current version (so it can be encoded once for
        every socket and every web process); a socket of an older version gets it in its own, or not
        at all if the type is newer."""
        if self._writer is None or self._writer.done():
            return
        if self.version != VERSION:
            downgraded = for_version(text, self.version)
            if downgraded is None:
                return
            text = downgraded
        try:
            self._outbox.put_nowait(text)
        except asyncio.QueueFull:
            log.warning("signaling socket of %s is not reading; closing it", self.participant)
            self._drop_queue()
            self._outbox.put_nowait((4008, "too slow"))

    def _drop_queue(self) -> None:
        while not self._outbox.empty():
            self._outbox.get_nowait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Send what is queued, then close the socket."""
        if self._writer is None or self._writer.done():
            return
        with contextlib.suppress(asyncio.QueueFull):
            self._outbox.put_nowait((code, reason))
        # wait(), not wait_for(): it neither cancels the writer at the deadline nor hides a
        # cancellation of the caller.
        await asyncio.wait({self._writer}, timeout=5)
        if not self._writer.done():
            self._writer.cancel()

    async def _write(self) -> None:
        try:
            while True:
                item = await self._outbox.get()
                if isinstance(item, tuple):
                    with contextlib.suppress(Exception):
                        await self.ws.close(item[0], item[1])
                    return
                await self.ws.send_text(item)
        except Exception:  # the peer went away: the reader side notices and detaches
            return


@dataclass
class PendingOffer:
    """An offer sent with `trickle: true`, waiting for its candidates."""

    sdp: str
    ref: str | None
    candidates: list[tuple[str, str | None, int | None]] = field(default_factory=list)
    timer: asyncio.Task[None] | None = None


@dataclass
class LiveMeeting:
    id: int
    title: str
    place: str
    status: str
    chair: str
    secretary: str | None
    chair_id: int
    secretary_id: int | None
    video_codec: str
    invited: set[int]
    connections: dict[str, Connection] = field(default_factory=dict)
    record: bool = True  # the meeting's archive is recorded (scheduling form)

    @property
    def room_id(self) -> str:
        return f"meeting-{self.id}"

    @classmethod
    def of(cls, meeting: Meeting) -> LiveMeeting:
        live = cls(0, "", "", "", "", None, 0, None, "vp8", set())
        live.refresh(meeting)
        return live

    def refresh(self, meeting: Meeting) -> None:
        self.id, self.title, self.place, self.status = meeting.id, meeting.title, meeting.place, meeting.status
        self.chair = meeting.chair.username
        self.secretary = meeting.secretary.username if meeting.secretary else None
        self.chair_id, self.secretary_id = meeting.chair_id, meeting.secretary_id
        self.video_codec, self.invited = meeting.video_codec, meeting.invited_ids()
        self.record = meeting.record

    def info(self) -> MeetingInfo:
        return MeetingInfo(id=self.id, title=self.title, place=self.place, status=self.status,  # type: ignore[arg-type]
                           chair=self.chair, secretary=self.secretary, video_codec=self.video_codec)  # type: ignore[arg-type]

    def send_local(self, texts: list[str], *, skip: str | None = None) -> None:
        """To this process's sockets of the meeting."""
        for conn in list(self.connections.values()):
            if conn.participant != skip:
                for text in texts:
                    conn.send_text(text)
