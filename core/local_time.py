"""The one way pages, PDFs and messages write a moment: Vietnam time (UTC+7, no daylight saving;
stored instants are UTC), `08:00 ngày 07/12/2026` in Vietnamese, `08:00, 07/12/2026` in English.
Every page template has `when(moment)` and `clock(moment)` (core.pages); the browser's twin is
web/static/js/moments.js."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")

Moment = datetime | str | None


def vietnam(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM)


def _parse(moment: Moment) -> datetime | None:
    if moment is None or moment == "":
        return None
    return datetime.fromisoformat(moment) if isinstance(moment, str) else moment


def moment_text(moment: Moment, lang: str = "vi", *, seconds: bool = False) -> str:
    """`08:00 ngày 07/12/2026` (`08:00:05 ngày ...` with seconds); English `08:00, 07/12/2026`."""
    parsed = _parse(moment)
    if parsed is None:
        return ""
    t = vietnam(parsed)
    hour = f"{t:%H:%M:%S}" if seconds else f"{t:%H:%M}"
    return f"{hour}, {t:%d/%m/%Y}" if lang == "en" else f"{hour} ngày {t:%d/%m/%Y}"


def clock_text(moment: Moment, *, seconds: bool = False) -> str:
    """`08:00` (`08:00:05`), Vietnam time: for moments whose day is already said nearby."""
    parsed = _parse(moment)
    if parsed is None:
        return ""
    return f"{vietnam(parsed):%H:%M:%S}" if seconds else f"{vietnam(parsed):%H:%M}"


def date_text(moment: Moment) -> str:
    """`07/12/2026`, the Vietnam date."""
    parsed = _parse(moment)
    return "" if parsed is None else f"{vietnam(parsed):%d/%m/%Y}"
