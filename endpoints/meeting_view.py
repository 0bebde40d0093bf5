"""The little the registry needs to know of meetings: which are live, which endpoints each one
invites, who is attending right now, and when each endpoint was last in a meeting (an endpoint is
a unit's meeting point: one that joins from the browser room counts as much as the agent).
Read-only SQL on the conference area's published tables
(`meetings`, `meeting_invitations`, `meeting_attendance`), so that this package imports nothing of
`conference`; without those tables (conference not installed) there are simply no meetings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import DateTime, Integer, text
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session


@dataclass
class LiveMeetings:
    titles: dict[int, str] = field(default_factory=dict)
    invited: dict[int, list[int]] = field(default_factory=dict)  # user id -> live meetings inviting them
    attending: dict[int, int] = field(default_factory=dict)  # user id -> meeting with an open attendance
    # user id -> when it was last in any meeting (its latest join or leave), whatever client it used
    last_attended: dict[int, datetime] = field(default_factory=dict)


def live_meetings(session: Session) -> LiveMeetings:
    view = LiveMeetings()
    try:
        rows = session.execute(text(
            "SELECT m.id, m.title, i.user_id FROM meetings m "
            "JOIN meeting_invitations i ON i.meeting_id = m.id WHERE m.status = 'live'")).all()
        present = session.execute(text(
            "SELECT a.user_id, a.meeting_id FROM meeting_attendance a JOIN meetings m ON m.id = a.meeting_id "
            "WHERE m.status = 'live' AND a.left_at IS NULL")).all()
        attended = session.execute(text(
            "SELECT user_id, MAX(joined_at) AS joined, MAX(left_at) AS left_ FROM meeting_attendance "
            "WHERE role = 'district' GROUP BY user_id")
            .columns(user_id=Integer, joined=DateTime(timezone=True), left_=DateTime(timezone=True))).all()
    except (OperationalError, ProgrammingError):
        session.rollback()
        return view
    for meeting_id, title, user_id in rows:
        view.titles[meeting_id] = title
        view.invited.setdefault(user_id, []).append(meeting_id)
    for user_id, meeting_id in present:
        view.attending[user_id] = meeting_id
    for user_id, joined, left in attended:
        moments = [m if m.tzinfo else m.replace(tzinfo=UTC) for m in (joined, left) if m is not None]
        if moments:
            view.last_attended[user_id] = max(moments)
    return view
