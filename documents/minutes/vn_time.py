"""Times as Vietnamese documents write them (Vietnam time, UTC+7, no daylight saving)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def local(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(VIETNAM)


def spelled(moment: datetime) -> str:
    """`08 giờ 30 phút, ngày 24 tháng 11 năm 2026`."""
    t = local(moment)
    return f"{t:%H} giờ {t:%M} phút, ngày {t:%d} tháng {t:%m} năm {t:%Y}"


def clock(moment: datetime) -> str:
    return f"{local(moment):%H:%M}"


def iso(moment: datetime) -> str:
    """ISO 8601 with the Vietnam offset, as Decree 30 wants on signature appearances."""
    return local(moment).replace(microsecond=0).isoformat()


def duration(seconds: float) -> str:
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} giờ {minutes:02d} phút" if hours else f"{minutes} phút {secs:02d} giây"
