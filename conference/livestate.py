"""The live state of the running meetings, apart from the sockets themselves: who is in (each
participant's seat: which web process holds its socket, its attendance interval, when it was last
heard), raised hands, mutes, spotlight, speaker, media states and link figures.

A meeting's state is one map of fields (``seat:<participant>``, ``hand:<participant>``,
``spotlight``, ...). Every change is applied whole, together with the signaling messages that tell
it, and those messages reach every web process that holds one of the meeting's sockets (each
process sends them to its own sockets). A change may carry an action id: applied once, a second
change with the same id is reported as a duplicate and changes nothing.

Two implementations with the same behaviour: :class:`InProcessLiveState` (the embedded default,
one web process: the state is in its memory, as before) and ``livestate_redis.RedisLiveState``
(several web processes and hosts: one Redis hash per meeting, changed by Lua scripts, fanned out
over pub/sub). ``livestate_choice.make_live_state`` picks one from ``GIAOBAN_LIVE_STATE_URL``.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from pydantic import BaseModel

from core.protocols import signaling as p

# A change as it reaches the web processes: the meeting, the encoded messages for its sockets, the
# participant whose own socket does not get them (it was answered directly), and what a web process
# must do besides sending (("ended",), ("removed", pid), ("taken", pid, token)).
Deliver = Callable[[int, list[str], str | None, list[list[Any]]], None]
Outcome = Literal["applied", "duplicate", "missing"]
# An action id is remembered this long: a retry after a reconnect comes well within it.
ACTION_MEMORY_SECONDS = 600


class LiveStateUnavailable(Exception):
    """The store of the live state does not answer (Redis stopped or unreachable)."""


@dataclass(frozen=True)
class Seat:
    """A participant's place in a running meeting."""

    participant: str
    name: str
    role: str
    unit: str | None
    unit_name: str | None
    user_id: int
    unit_id: int | None
    owner: str  # the web process holding its socket; "" while none does (that process stopped)
    token: str  # this claim of the seat; a later join claims it under another token
    since: float
    attendance_id: int | None = None

    @classmethod
    def of(cls, data: dict[str, Any]) -> Seat:
        return cls(**data)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Claim:
    """The answer to a join: ``claimed`` (the seat was free), ``duplicate`` (another socket that
    is alive holds it), or ``took_over`` a seat whose socket was silent or whose web process is
    gone; then ``old`` is that seat, ``heard`` when it was last heard and ``owner_alive`` whether
    its web process still runs (it must then close that socket)."""

    outcome: Literal["claimed", "duplicate", "took_over"]
    old: Seat | None = None
    heard: float | None = None
    owner_alive: bool = False


class MeetingState:
    """A snapshot of one meeting's fields."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self.fields = fields

    def _each(self, prefix: str) -> Iterable[tuple[str, Any]]:
        for name, value in self.fields.items():
            if name.startswith(prefix):
                yield name[len(prefix):], value

    @property
    def status(self) -> str | None:
        return self.fields.get("status")

    @property
    def spotlight(self) -> str | None:
        return self.fields.get("spotlight") or None

    @property
    def speaker(self) -> str | None:
        return self.fields.get("speaker") or None

    @property
    def speaker_source(self) -> str | None:
        return self.fields.get("speaker_source") or None

    @property
    def floor(self) -> str | None:
        """Who the chair gave the floor to, until a spotlight change releases it."""
        return self.fields.get("floor") or None

    @property
    def screen(self) -> str | None:
        """Who shares a screen now."""
        return self.fields.get("screen") or None

    @property
    def voice(self) -> str | None:
        """The media path's latest dominant speaker (what decides only while nobody holds the floor)."""
        return self.fields.get("voice") or None

    def seats(self) -> dict[str, Seat]:
        return {pid: Seat.of(value) for pid, value in self._each("seat:")}

    def seat(self, participant: str) -> Seat | None:
        value = self.fields.get(f"seat:{participant}")
        return None if value is None else Seat.of(value)

    def heard(self, participant: str) -> float | None:
        value = self.fields.get(f"heard:{participant}")
        return None if value is None else float(value)

    @property
    def muted(self) -> set[str]:
        return {pid for pid, _ in self._each("mute:")}

    def hand_raised(self, participant: str) -> bool:
        return f"hand:{participant}" in self.fields

    def raised_order(self) -> list[str]:
        return [pid for pid, _ in sorted(self._each("hand:"), key=lambda item: float(item[1]))]

    def journal(self) -> dict[str, dict[str, Any]]:
        return dict(self._each("journal:"))

    def info(self, participant: str) -> p.ParticipantInfo | None:
        seat = self.seat(participant)
        if seat is None:
            return None
        return p.ParticipantInfo(
            participant=participant, name=seat.name, role=seat.role, unit=seat.unit,  # type: ignore[arg-type]
            unit_name=seat.unit_name, hand_raised=self.hand_raised(participant),
            muted=f"mute:{participant}" in self.fields, media=self.fields.get(f"media:{participant}", "new"),
            mic_on=self.self_media(participant)["audio"], camera_on=self.self_media(participant)["video"])

    def self_media(self, participant: str) -> dict[str, bool]:
        """Its own microphone and camera, as it last said (`self_media`); both on until it does."""
        return self.fields.get(f"self:{participant}") or {"audio": True, "video": True}

    def infos(self, *, skip: str | None = None) -> list[p.ParticipantInfo]:
        seats = sorted(self.seats().values(), key=lambda seat: seat.since)
        return [info for seat in seats if seat.participant != skip and (info := self.info(seat.participant))]


def writes_of(message: BaseModel, now: float) -> dict[str, Any]:
    """The fields a told change sets (a value) or clears (None). A raised hand keeps its moment,
    which orders the queue; a mute outlives a rejoin, as a host expects."""
    if isinstance(message, p.ParticipantLeft):
        pid = message.participant
        return {f"{kind}:{pid}": None for kind in ("seat", "heard", "hand", "media", "stats", "self")}
    if isinstance(message, p.HandRaised):
        return {f"hand:{message.participant}": now if message.raised else None}
    if isinstance(message, p.Muted):
        return {f"mute:{message.participant}": 1 if message.muted else None}
    if isinstance(message, p.SpotlightChanged):  # any spotlight change releases the floor
        return {"spotlight": message.participant, "floor": None}
    if isinstance(message, p.FloorGranted):
        return {"spotlight": message.participant, "floor": message.participant}
    if isinstance(message, p.Speaker):
        return {"speaker": message.participant, "speaker_source": message.source}
    if isinstance(message, p.ScreenShare):
        return {"screen": message.participant}
    if isinstance(message, p.SelfMediaChanged):
        return {f"self:{message.participant}": {"audio": message.audio, "video": message.video}}
    if isinstance(message, p.MediaState):
        return {f"media:{message.participant}": message.state}
    if isinstance(message, p.LinkStats):
        return {f"stats:{q.participant}": q.model_dump() for q in message.participants}
    if isinstance(message, p.MeetingEnded):
        return {"status": "ended"}
    return {}


def new_token() -> str:
    return uuid.uuid4().hex


class LiveState(Protocol):
    process: str  # this web process's id in the state
    shared: bool  # whether other web processes may hold sockets of the same meetings

    def listen(self, deliver: Deliver) -> None:
        """Where changes are delivered (to this process's sockets)."""
        ...

    async def start(self) -> None: ...

    async def state(self, meeting_id: int) -> MeetingState: ...

    async def apply(self, meeting_id: int, messages: list[BaseModel], *, writes: dict[str, Any] | None = None,
                    action: str | None = None, requires: Iterable[str] = (), guard: tuple[str, str] | None = None,
                    skip: str | None = None, effects: list[list[Any]] | None = None,
                    expect: dict[str, Any] | None = None) -> Outcome:
        """Apply ``writes`` (by default those the messages tell) and deliver the messages, at once.
        Nothing happens, and the answer says why, if ``action`` was applied before (``duplicate``),
        or if a field in ``requires`` is absent, the seat named by ``guard`` (participant, token)
        is no longer held under that token, or a field in ``expect`` no longer has that value
        (None: absent) (``missing``): a decision made on a read is applied only if what it read
        is still so, on whichever web process."""
        ...

    async def claim(self, meeting_id: int, seat: Seat, *, silent_after: float) -> Claim: ...

    async def heartbeat(self, seats: list[tuple[int, Seat, float]]) -> int:
        """This process is alive; the seats of its sockets, each last heard then. Returns how many
        of them it put back because the store had lost them (restarted empty)."""
        ...

    async def take_journal(self, meeting_id: int, name: str, from_owner: str) -> bool:
        """Take over an unfinished host action from its process, if it still names that one."""
        ...

    async def release(self) -> None:
        """This web process stops: from now on it owns no seat and no unfinished action."""
        ...

    async def owner_alive(self, owner: str) -> bool: ...

    async def meeting_ids(self) -> list[int]:
        """The meetings that have any state."""
        ...

    async def forget(self, meeting_id: int) -> None:
        """Drop an empty meeting's state (kept: its mutes, while anyone is in)."""
        ...

    async def close(self) -> None: ...


class InProcessLiveState:
    """The state in this process's memory: the embedded default, one web process."""

    shared = False

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.process = f"local-{uuid.uuid4().hex[:8]}"
        self._clock = clock
        self._meetings: dict[int, dict[str, Any]] = {}
        self._actions: dict[str, float] = {}
        self._deliver: Deliver | None = None

    def listen(self, deliver: Deliver) -> None:
        self._deliver = deliver

    async def start(self) -> None:
        pass

    async def state(self, meeting_id: int) -> MeetingState:
        return MeetingState(dict(self._meetings.get(meeting_id, {})))

    async def apply(self, meeting_id: int, messages: list[BaseModel], *, writes: dict[str, Any] | None = None,
                    action: str | None = None, requires: Iterable[str] = (), guard: tuple[str, str] | None = None,
                    skip: str | None = None, effects: list[list[Any]] | None = None,
                    expect: dict[str, Any] | None = None) -> Outcome:
        now = self._clock()
        fields = self._meetings.setdefault(meeting_id, {})
        if action is not None:
            self._actions = {a: at for a, at in self._actions.items() if now - at < ACTION_MEMORY_SECONDS}
            if action in self._actions:
                return "duplicate"
        if any(name not in fields for name in requires):
            return "missing"
        if guard is not None:
            seat = fields.get(f"seat:{guard[0]}")
            if seat is None or seat["token"] != guard[1]:
                return "missing"
        if any(fields.get(name) != value for name, value in (expect or {}).items()):
            return "missing"
        if action is not None:
            self._actions[action] = now
        if writes is None:
            writes = {}
            for message in messages:
                writes.update(writes_of(message, now))
        for name, value in writes.items():
            if value is None:
                fields.pop(name, None)
            else:
                fields[name] = value
        if self._deliver is not None and (messages or effects):
            self._deliver(meeting_id, [p.encode(m) for m in messages], skip, effects or [])
        return "applied"

    async def claim(self, meeting_id: int, seat: Seat, *, silent_after: float) -> Claim:
        fields = self._meetings.setdefault(meeting_id, {})
        if f"seat:{seat.participant}" in fields:  # one process: its own socket, found alive by the hub
            return Claim("duplicate")
        fields[f"seat:{seat.participant}"] = seat.as_dict()
        fields[f"heard:{seat.participant}"] = seat.since
        return Claim("claimed")

    async def heartbeat(self, seats: list[tuple[int, Seat, float]]) -> int:
        for meeting_id, seat, heard in seats:
            fields = self._meetings.get(meeting_id, {})
            if (fields.get(f"seat:{seat.participant}") or {}).get("token") == seat.token:
                fields[f"heard:{seat.participant}"] = heard
        return 0

    async def take_journal(self, meeting_id: int, name: str, from_owner: str) -> bool:
        entry = self._meetings.get(meeting_id, {}).get(name)
        if entry is None or entry.get("owner") != from_owner:
            return False
        entry["owner"] = self.process
        return True

    async def release(self) -> None:
        pass

    async def owner_alive(self, owner: str) -> bool:
        return owner == self.process

    async def meeting_ids(self) -> list[int]:
        return list(self._meetings)

    async def forget(self, meeting_id: int) -> None:
        fields = self._meetings.get(meeting_id)
        if fields is not None and not any(name.startswith(("seat:", "journal:")) for name in fields):
            del self._meetings[meeting_id]

    async def close(self) -> None:
        pass


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
