"""Time as the province keeps it: stored instants in UTC, calendar dates in Vietnam's time (UTC+7,
no daylight saving), so a document registered at 06:30 local time on 1 January is of the new year."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def now() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    return datetime.now(VIETNAM).date()


def local_date(moment: datetime) -> date:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VIETNAM).date()


def day_start(day: date) -> datetime:
    """The UTC instant at which the local calendar day begins (stored times are compared in UTC)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=VIETNAM).astimezone(UTC)
