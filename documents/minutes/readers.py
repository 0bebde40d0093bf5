"""Who may read a set of minutes and their PDF: the circle of the meeting they record, by the rule that
also guards the meeting's attendance (core.record_access)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import User
from core.record_access import REFUSAL, MeetingCircle, may_read_record, unit_ids_of_codes
from documents.errors import NotAllowed
from documents.minutes.drafts import source_of
from documents.minutes.models import Minutes


def circle_of(session: Session, minutes: Minutes) -> MeetingCircle:
    source = source_of(minutes)
    names = {minutes.chair_username, minutes.secretary_username} - {""}
    ids = dict(session.execute(select(User.username, User.id).where(User.username.in_(names))).tuples().all())
    return MeetingCircle(chair_id=ids.get(minutes.chair_username), secretary_id=ids.get(minutes.secretary_username),
                         unit_ids=unit_ids_of_codes(session, (a.unit_code for a in source.attendance)),
                         registering_unit_id=minutes.unit_id)


def may_read(session: Session, minutes: Minutes, user: User) -> bool:
    return may_read_record(session, user, circle_of(session, minutes))


def check_reader(session: Session, minutes: Minutes, user: User) -> None:
    if not may_read(session, minutes, user):
        raise NotAllowed(REFUSAL)
