"""Where drafts come from: the conference area's meeting record, turned into a `MinutesSource`.

Areas do not import each other, so the web layer connects the record provider at start-up
(`connect(conference.record.meeting_record)`); this module only knows the record's shape (the
fields of `conference.record.MeetingRecord`, read from the model or its dict)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import DomainError, Kind
from core.people import User
from documents.minutes.source import (
    AgendaItem,
    HostAction,
    Interval,
    MinutesSource,
    Person,
    SpeakingTime,
    UnitAttendance,
)

RecordProvider = Callable[[Session, int], Any]
DEFAULT_PLACE = "Hội trường UBND tỉnh (điểm cầu chính)"
HALL_ROLES = frozenset({"host", "observer"})  # signaling roles of the hall's own connections
ACTION_LABELS = {
    "start": "Bắt đầu cuộc họp", "end": "Kết thúc cuộc họp", "mute": "Tắt micro", "unmute": "Bật micro",
    "spotlight": "Ghim hình", "grant_floor": "Cho phát biểu", "remove": "Mời rời cuộc họp",
}

_provider: RecordProvider | None = None


class RecordUnavailable(DomainError):
    """No record can be had for the meeting (unknown, not ended, no secretary, or nothing connected)."""


def connect(provider: RecordProvider | None) -> None:
    global _provider
    _provider = provider


def _plain(record: Any) -> dict[str, Any]:
    if hasattr(record, "model_dump"):
        return dict(record.model_dump())
    return dict(record)


def _unit_name(unit: dict[str, Any] | None) -> str:
    unit = unit or {}
    return str(unit.get("name") or unit.get("short_name") or unit.get("code") or "Khách mời")


def source_from_record(record: Any, names: dict[str, str] | None = None) -> MinutesSource:
    """The adapter: a conference MeetingRecord (model or dict) → MinutesSource. `names` maps usernames
    (participants, actors) to the names people read, e.g. "dc-vinh" → "Điểm cầu TP Vinh"."""
    data = _plain(record)
    if data.get("ended_at") is None:
        raise RecordUnavailable(Kind.conflict,
                                "Cuộc họp chưa kết thúc / the meeting has not ended yet: minutes are drafted "
                                "from a finished meeting")
    if not data.get("secretary"):
        raise RecordUnavailable(Kind.conflict, "Cuộc họp chưa có thư ký / the meeting has no secretary: set one on the "
                                "meeting before drafting its minutes")
    names = {**(names or {}), data["chair"]["username"]: data["chair"]["full_name"],
             data["secretary"]["username"]: data["secretary"]["full_name"]}
    # Endpoints are the units' meeting points: the hall's own connections (the chair's and the
    # secretary's consoles, observers) are the meeting's place, not an endpoint that attended.
    attendance = []
    for a in data.get("attendance", []):
        intervals = [i for i in a.get("intervals", []) if i.get("role") not in HALL_ROLES]
        if not intervals:
            continue
        participants = list(dict.fromkeys(str(i.get("participant") or "") for i in intervals)) \
            if all(i.get("participant") for i in intervals) else list(a.get("participants") or [])
        attendance.append(UnitAttendance(
            unit_code=str((a.get("unit") or {}).get("code") or ""), unit_name=_unit_name(a.get("unit")),
            endpoint=", ".join(names.get(p, p) for p in participants),
            intervals=[Interval(joined_at=i["joined_at"], left_at=i.get("left_at")) for i in intervals]))
    speaking = [SpeakingTime(full_name=s.get("name") or s.get("participant", ""), unit_name=_unit_name(s.get("unit"))
                             if (s.get("unit") or {}).get("code") else "",
                             seconds=float(s.get("total_seconds") or 0), turns=len(s.get("turns") or []))
                for s in data.get("speaking", [])]
    # Start and end are already the minutes' opening and closing times.
    actions = [HostAction(at=a["at"], actor=names.get(str(a.get("actor") or ""), str(a.get("actor") or "")),
                          action=ACTION_LABELS.get(a.get("action", ""), str(a.get("action", ""))),
                          description=names.get(str(a.get("target") or ""), str(a.get("target") or "")))
               for a in data.get("host_actions", []) if a.get("action") not in ("start", "end")]
    return MinutesSource(
        meeting_id=int(data["id"]), title=data["title"], started_at=data.get("started_at") or data["scheduled_at"],
        ended_at=data["ended_at"], place=data.get("place") or DEFAULT_PLACE,
        chair=Person(**data["chair"]), secretary=Person(**data["secretary"]),
        agenda=[AgendaItem(title=a["title"], presenter=a.get("presenter") or "") for a in data.get("agenda", [])],
        attendance=attendance, absent=[_unit_name(u) for u in data.get("absent", [])], speaking=speaking,
        host_actions=actions,
    )


def _display_names(session: Session, record: Any) -> dict[str, str]:
    data = _plain(record)
    usernames = {p for a in data.get("attendance", []) for p in a.get("participants") or []}
    usernames |= {str(a.get(k) or "") for a in data.get("host_actions", []) for k in ("actor", "target")}
    rows = session.execute(select(User.username, User.full_name).where(User.username.in_(usernames - {""})))
    return dict(rows.tuples().all())


def fetch(session: Session, meeting_id: int) -> MinutesSource:
    if _provider is None:
        raise RecordUnavailable(Kind.unavailable,
                                "Chưa kết nối biên bản với dữ liệu cuộc họp / meeting records are not "
                                "connected in this deployment (documents.minutes.record_source.connect)")
    try:
        record = _provider(session, meeting_id)
    except LookupError as exc:
        raise RecordUnavailable(Kind.not_found, f"Không có cuộc họp / no meeting {meeting_id}") from exc
    return source_from_record(record, _display_names(session, record))
