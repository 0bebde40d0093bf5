"""The deadline engine against the civil-service calendar: weekends, Tết, 10/3 lunar, swap days, the
15:00 cut-off and paused intervals."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from documents.dossiers.calendar import CalendarRangeError, default_calendar
from documents.dossiers.deadlines import (
    VN_TIME,
    Outcome,
    Pause,
    classify,
    due_date,
    new_return_date,
    start_day,
    working_days_left,
)


def vn(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=VN_TIME)


def test_weekends_are_skipped() -> None:
    # Friday + 3 working days = next Wednesday.
    assert due_date(vn(2020, 3, 6), 3, cutoff=False) == date(2020, 3, 11)
    # An online dossier on Saturday starts counting on Monday.
    assert start_day(vn(2020, 3, 7, 10), cutoff=False) == date(2020, 3, 9)
    assert due_date(vn(2020, 3, 7, 10), 1, cutoff=False) == date(2020, 3, 10)
    # Zero days: within the day of receipt.
    assert due_date(vn(2020, 3, 9), 0, cutoff=False) == date(2020, 3, 9)


def test_lunar_new_year_is_not_counted() -> None:
    # Tết Canh Tý: 23-29 January 2020 off; Wednesday 22nd + 2 working days = Friday 31st.
    assert due_date(vn(2020, 1, 22), 2, cutoff=False) == date(2020, 1, 31)
    assert due_date(vn(2020, 1, 22), 1, cutoff=False) == date(2020, 1, 30)
    cal = default_calendar()
    for day in range(23, 30):
        assert not cal.is_working_day(date(2020, 1, day))
    # Tết 2030 at UTC+7 begins on 2 February (the Chinese calendar says the 3rd).
    assert "Tết" in (cal.day_off_name(date(2030, 2, 2)) or "")


def test_hung_kings_day_follows_the_lunar_calendar() -> None:
    # 10/3 âm lịch: Thursday 2 April 2020.
    assert due_date(vn(2020, 4, 1), 1, cutoff=False) == date(2020, 4, 3)
    # 2019: it fell on Sunday 14 April, so Monday 15th was the day off in lieu.
    assert due_date(vn(2019, 4, 12), 1, cutoff=False) == date(2019, 4, 16)
    assert not default_calendar().is_working_day(date(2021, 4, 21))


def test_swap_days_come_from_data() -> None:
    cal = default_calendar()
    # 2019: Monday 29 April off, Saturday 4 May worked in exchange.
    assert not cal.is_working_day(date(2019, 4, 29))
    assert cal.is_working_day(date(2019, 5, 4))
    assert due_date(vn(2019, 4, 26), 1, cutoff=False) == date(2019, 5, 2)
    assert due_date(vn(2019, 5, 3), 1, cutoff=False) == date(2019, 5, 4)
    # National Day 2022 with its adjacent day: Thursday 1 and Friday 2 September.
    assert due_date(vn(2022, 8, 31), 1, cutoff=False) == date(2022, 9, 5)


def test_same_day_cutoff_at_15_00() -> None:
    monday = (2020, 3, 2)
    assert due_date(vn(*monday, 15, 30), 1, cutoff=True) == date(2020, 3, 4)
    assert due_date(vn(*monday, 15, 30), 1, cutoff=False) == date(2020, 3, 3)
    assert due_date(vn(*monday, 14, 59), 1, cutoff=True) == date(2020, 3, 3)
    assert due_date(vn(*monday, 15, 0), 1, cutoff=True) == date(2020, 3, 3)
    # Stored times are UTC: 08:30 UTC is 15:30 in Vietnam, past the cut-off.
    assert start_day(datetime(2020, 3, 2, 8, 30, tzinfo=UTC), cutoff=True) == date(2020, 3, 3)
    # Naive datetimes (as SQLite returns them) are UTC too.
    assert start_day(datetime(2020, 3, 2, 7, 59), cutoff=True) == date(2020, 3, 2)
    # Friday after the cut-off counts from Monday.
    assert due_date(vn(2020, 3, 6, 16), 0, cutoff=True) == date(2020, 3, 9)


def test_paused_intervals_do_not_count() -> None:
    received = vn(2020, 3, 2)
    assert due_date(received, 5, cutoff=False) == date(2020, 3, 9)
    pause = Pause(vn(2020, 3, 3, 10), vn(2020, 3, 5, 9))  # Tuesday to Thursday: Wed and Thu lost
    assert due_date(received, 5, cutoff=False, pauses=[pause]) == date(2020, 3, 11)
    weekend = Pause(vn(2020, 3, 6, 10), vn(2020, 3, 9, 10))  # Friday to Monday: only Monday lost
    assert due_date(received, 5, cutoff=False, pauses=[weekend]) == date(2020, 3, 10)
    same_day = Pause(vn(2020, 3, 3, 9), vn(2020, 3, 3, 16))
    assert due_date(received, 5, cutoff=False, pauses=[same_day]) == date(2020, 3, 9)
    still_paused = Pause(vn(2020, 3, 3, 9))
    assert due_date(received, 5, cutoff=False, pauses=[still_paused], now=vn(2020, 3, 6)) == date(2020, 3, 12)


def test_classification_uses_vietnam_dates() -> None:
    due = date(2020, 3, 9)
    assert classify(due, vn(2020, 3, 6, 16)) is Outcome.early
    assert classify(due, vn(2020, 3, 9, 23, 30)) is Outcome.on_time
    assert classify(due, datetime(2020, 3, 9, 16, 30, tzinfo=UTC)) is Outcome.on_time  # 23:30 in Vietnam
    assert classify(due, datetime(2020, 3, 9, 17, 30, tzinfo=UTC)) is Outcome.late  # 00:30 the next day
    assert working_days_left(due, vn(2020, 3, 5)) == 2
    assert working_days_left(due, vn(2020, 3, 11)) == -2


def test_apology_slip_date_skips_days_off() -> None:
    assert new_return_date(vn(2020, 1, 22), 2) == date(2020, 1, 31)
    assert new_return_date(vn(2020, 3, 7), 1) == date(2020, 3, 10)  # slip written on a Saturday
    with pytest.raises(ValueError):
        new_return_date(vn(2020, 3, 9), 0)


def test_calendar_covers_2019_to_2030_with_every_public_holiday() -> None:
    cal = default_calendar()
    assert cal.first_year <= 2019 and cal.last_year >= 2030
    for year in range(2019, 2031):
        names = [cal.day_off_name(date(year, 1, 1) + timedelta(days=i)) or "" for i in range(366)]
        assert sum("Tết Nguyên đán" in n for n in names) >= 5, year
        assert any("Hùng Vương" in n for n in names), year
        for month, day in ((1, 1), (4, 30), (5, 1), (9, 2)):
            assert cal.day_off_name(date(year, month, day)), (year, month, day)
        if year >= 2021:  # the Labour Code 2019 added a day adjacent to 2 September
            assert cal.day_off_name(date(year, 9, 1)) or cal.day_off_name(date(year, 9, 3)), year
    with pytest.raises(CalendarRangeError):
        due_date(vn(2031, 3, 3), 1, cutoff=False)
