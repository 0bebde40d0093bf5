"""Links between a meeting and its minutes, both ways. The meeting's page asks `minutes_link` (connected
into conference.related by web/wiring.py); the minutes pages name their meeting from the minutes' own
source (title and time) and link to `/meetings/{id}`. Ended meetings are offered for drafting by title
and date (`draft_choices`, from the conference's list connected the same way), never by a bare number."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.i18n import translate
from core.local_time import moment_text
from core.people import Role, User
from documents.minutes import drafts, readers
from documents.minutes.models import Minutes, MinutesStatus

DRAFTERS = frozenset({Role.secretary, Role.chair, Role.admin})
# (session) -> the ended meetings, newest first: [{"id", "title", "started_at", "ended_at"}, ...]
EndedMeetings = Callable[[Session], list[dict[str, Any]]]
_ended: EndedMeetings | None = None


def connect_meetings(lister: EndedMeetings | None) -> None:
    global _ended
    _ended = lister


def meeting_label(title: str, moment: datetime | str | None, lang: str) -> str:
    """`Giao ban tháng 11 — 08:00 ngày 25/11/2026`: how a person recognises a meeting."""
    when = moment_text(moment, lang)
    return f"{title} — {when}" if when else title


def minutes_link(session: Session, meeting_id: int, user: User, lang: str) -> dict[str, Any] | None:
    minutes = session.execute(select(Minutes).where(Minutes.meeting_id == meeting_id)).scalar_one_or_none()
    if minutes is not None:
        if not readers.may_read(session, minutes, user):
            return None
        status = drafts.STATUS_LABELS[MinutesStatus(minutes.status)][1 if lang == "en" else 0]
        label = translate("minutes.of_meeting", lang) + (f" {minutes.code}" if minutes.code else "")
        return {"href": f"/minutes/{minutes.id}", "label": label, "status": status}
    if Role(user.role) in DRAFTERS:
        return {"href": f"/minutes?meeting={meeting_id}", "label": translate("minutes.draft_this", lang),
                "status": translate("minutes.not_drafted", lang)}
    return None


def draft_choices(session: Session, lang: str) -> list[dict[str, Any]]:
    """Ended meetings that have no minutes yet, labelled by title and date, for the drafting form."""
    if _ended is None:
        return []
    drafted = set(session.execute(select(Minutes.meeting_id)).scalars())
    return [{"id": m["id"], "label": meeting_label(m["title"], m.get("started_at") or m.get("scheduled_at"), lang)}
            for m in _ended(session) if m["id"] not in drafted]
