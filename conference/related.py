"""What other areas made of a meeting, shown on its page: today its minutes (documents/minutes). The
conference does not import documents, so web/wiring.py connects the finder at start-up:

    related.connect_minutes(documents.minutes.links.minutes_link)

`minutes_link(session, meeting_id, user, lang)` answers {"href", "label", "status"} for the person
(their minutes, or the way to draft them), or None when there is nothing they may open."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from core.people import User

MinutesFinder = Callable[[Session, int, User, str], "dict[str, Any] | None"]
_minutes: MinutesFinder | None = None


def connect_minutes(finder: MinutesFinder | None) -> None:
    global _minutes
    _minutes = finder


def minutes_link(session: Session, meeting_id: int, user: User, lang: str) -> dict[str, Any] | None:
    return _minutes(session, meeting_id, user, lang) if _minutes is not None else None
