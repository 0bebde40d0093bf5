"""The bounds of ids, years, dates and moments that people and programs send: each is checked where
the request is read (path, query and body alike) and refused with 422 naming the field, instead of
reaching the database or date arithmetic (an id beyond 64 bits, 9999-12-31 plus a day, a negative year).

Use these types for every such parameter and field: `RowId` for row ids (PostgreSQL `integer` columns),
`Year`, `Day` for calendar dates, `Moment` for instants."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from annotated_types import Ge, Le
from pydantic import AfterValidator

MAX_ROW_ID = 2**31 - 1  # the largest value of an `integer` column (ids are integer on PostgreSQL)
FIRST_YEAR, LAST_YEAR = 1900, 2199
FIRST_DAY, LAST_DAY = date(FIRST_YEAR, 1, 1), date(LAST_YEAR, 12, 31)


def _day(value: date) -> date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise ValueError(f"ngày phải trong khoảng {FIRST_DAY:%d/%m/%Y} - {LAST_DAY:%d/%m/%Y} / a date must lie "
                         f"between {FIRST_DAY} and {LAST_DAY}")
    return value


def _moment(value: datetime) -> datetime:
    day = (value if value.tzinfo is None else value.astimezone(UTC)).date()
    _day(day)
    return value


RowId = Annotated[int, Ge(1), Le(MAX_ROW_ID)]
Year = Annotated[int, Ge(FIRST_YEAR), Le(LAST_YEAR)]
Day = Annotated[date, AfterValidator(_day)]
Moment = Annotated[datetime, AfterValidator(_moment)]
