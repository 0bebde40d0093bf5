"""Times as Vietnamese documents write them (Vietnam time, UTC+7, no daylight saving): the spelled
form of the minutes' text; the short forms are core.local_time's, the one formatter of the app."""

from __future__ import annotations

from datetime import datetime

from core.local_time import VIETNAM, clock_text, moment_text
from core.local_time import vietnam as local

__all__ = ["VIETNAM", "clock", "duration", "local", "signed_at", "spelled"]


def spelled(moment: datetime) -> str:
    """`08 giờ 30 phút, ngày 24 tháng 11 năm 2026`."""
    t = local(moment)
    return f"{t:%H} giờ {t:%M} phút, ngày {t:%d} tháng {t:%m} năm {t:%Y}"


def clock(moment: datetime) -> str:
    return clock_text(moment)


def signed_at(moment: datetime) -> str:
    """A signature box's time: `10:24:47 ngày 06/12/2026`, as every other moment reads."""
    return moment_text(moment, seconds=True)


def duration(seconds: float) -> str:
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} giờ {minutes:02d} phút" if hours else f"{minutes} phút {secs:02d} giây"
