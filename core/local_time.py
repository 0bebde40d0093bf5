"""Moments as pages show them: Vietnam time (UTC+7, no daylight saving; stored instants are UTC),
`08:00 ngày 07/12/2026` in Vietnamese, `08:00, 07/12/2026` in English. Every page template has it as
`when(moment)` (core.pages)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def vietnam(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(VIETNAM)


def moment_text(moment: datetime | str | None, lang: str = "vi") -> str:
    if moment is None or moment == "":
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    t = vietnam(moment)
    return f"{t:%H:%M}, {t:%d/%m/%Y}" if lang == "en" else f"{t:%H:%M} ngày {t:%d/%m/%Y}"
