"""The deadline engine: when a dossier is due and whether it was resolved early, on time or late.
Pure functions over the working calendar; times are stored in UTC and judged in Vietnam's time (UTC+7).

Counting rules (Decree 61/2018/NĐ-CP practice at the one-stop desks):
- the clock starts on the day a complete dossier is received, if that is a working day; a dossier received
  on a day off, or after the 15:00 cut-off for procedures that have one, counts from the next working day;
- a procedure of N working days is due at the end of the N-th working day after that start day
  (N = 0 means "within the day");
- working days lost while the dossier was paused (supplement requested, payment requested, stopped)
  push the due date back: a pause from day A to day B costs the working days after A up to and including B;
- resolved before the due date is early (trước hạn), on it on time (đúng hạn), after it late (quá hạn).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from enum import StrEnum

from documents.dossiers.calendar import WorkCalendar, default_calendar

VN_TIME = timezone(timedelta(hours=7), "ICT")
CUTOFF = time(15, 0)


class Outcome(StrEnum):
    early = "early"
    on_time = "on_time"
    late = "late"


OUTCOME_LABELS = {Outcome.early: "Trước hạn", Outcome.on_time: "Đúng hạn", Outcome.late: "Quá hạn"}


@dataclass(frozen=True)
class Pause:
    started_at: datetime
    ended_at: datetime | None = None  # None: still paused


def local(moment: datetime) -> datetime:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back
    return aware.astimezone(VN_TIME)


def local_date(moment: datetime) -> date:
    return local(moment).date()


def start_day(received_at: datetime, cutoff: bool, cal: WorkCalendar | None = None) -> date:
    """The working day the processing time is counted from."""
    cal = cal or default_calendar()
    moment = local(received_at)
    day = moment.date()
    if not cal.is_working_day(day):
        return cal.next_working_day(day)
    if cutoff and moment.time() > CUTOFF:
        return cal.next_working_day(day)
    return day


def paused_working_days(pauses: Iterable[Pause], now: datetime | None = None,
                        cal: WorkCalendar | None = None) -> int:
    cal = cal or default_calendar()
    now = now or datetime.now(UTC)
    total = 0
    for pause in pauses:
        end = pause.ended_at or now
        total += cal.working_days_between(local_date(pause.started_at), local_date(end))
    return total


def due_date(received_at: datetime, working_days: int, cutoff: bool, pauses: Iterable[Pause] = (),
             now: datetime | None = None, cal: WorkCalendar | None = None) -> date:
    if working_days < 0:
        raise ValueError("processing time cannot be negative")
    cal = cal or default_calendar()
    first = start_day(received_at, cutoff, cal)
    return cal.add_working_days(first, working_days + paused_working_days(pauses, now, cal))


def classify(due: date, resolved_at: datetime) -> Outcome:
    day = local_date(resolved_at)
    if day < due:
        return Outcome.early
    if day == due:
        return Outcome.on_time
    return Outcome.late


def working_days_late(due: date, moment: datetime, cal: WorkCalendar | None = None) -> int:
    """How many working days past its due date a dossier is at `moment` (0 if not late)."""
    cal = cal or default_calendar()
    return cal.working_days_between(due, local_date(moment))


def working_days_left(due: date, moment: datetime, cal: WorkCalendar | None = None) -> int:
    """Working days from `moment`'s day until the due date (0 on the due day, negative once late)."""
    cal = cal or default_calendar()
    today = local_date(moment)
    if today <= due:
        return cal.working_days_between(today, due)
    return -cal.working_days_between(due, today)


def new_return_date(moment: datetime, extra_working_days: int, cal: WorkCalendar | None = None) -> date:
    """The new return date promised on an apology slip: `extra_working_days` after the slip's day."""
    if extra_working_days < 1:
        raise ValueError("the new date must be at least one working day away")
    cal = cal or default_calendar()
    return cal.add_working_days(cal.working_day_on_or_after(local_date(moment)), extra_working_days)
