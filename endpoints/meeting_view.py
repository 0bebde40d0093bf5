"""The little the registry needs to know of meetings: which are live, which endpoints each one
invites, and who is attending right now. Read-only SQL on the conference area's published tables
(`meetings`, `meeting_invitations`, `meeting_attendance`), so that this package imports nothing of
`conference`; without those tables (conference not installed) there are simply no meetings."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session


@dataclass
class LiveMeetings:
    titles: dict[int, str] = field(default_factory=dict)
    invited: dict[int, list[int]] = field(default_factory=dict)  # user id -> live meetings inviting them
    attending: dict[int, int] = field(default_factory=dict)  # user id -> meeting with an open attendance


def live_meetings(session: Session) -> LiveMeetings:
    view = LiveMeetings()
    try:
        rows = session.execute(text(
            "SELECT m.id, m.title, i.user_id FROM meetings m "
            "JOIN meeting_invitations i ON i.meeting_id = m.id WHERE m.status = 'live'")).all()
        present = session.execute(text(
            "SELECT a.user_id, a.meeting_id FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id "
            "WHERE m.status = 'live' AND a.left_at IS NULL")).all()
    except (OperationalError, ProgrammingError):
        session.rollback()
        return view
    for meeting_id, title, user_id in rows:
        view.titles[meeting_id] = title
        view.invited.setdefault(user_id, []).append(meeting_id)
    for user_id, meeting_id in present:
        view.attending[user_id] = meeting_id
    return view
