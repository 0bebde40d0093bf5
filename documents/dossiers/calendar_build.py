"""Regenerates `data/calendar.json`, the civil-service working calendar the deadline engine reads.

Run once per year after the Government announces the coming year's days off and swap days:

    pip install holidays        # only needed here, never at run time
    python -m documents.dossiers.calendar_build [FIRST_YEAR LAST_YEAR]

Lunar dates (Tết, 10/3 âm lịch) and the observed/substituted days come from the `holidays` package's
Vietnamese calendar, which computes the lunar calendar at UTC+7 (so Tết 2030 falls on 2 February, not the
Chinese 3 February). Its "Day off (substituted from DD/MM/YYYY)" entries name the Saturday worked in exchange
(ngày làm bù). Years the Government has not decided yet are marked `"projected": true`: they follow the
Labour Code rules (a holiday on a weekend is taken on the next working day) and should be checked against
the official notice when it appears; edit the file by hand if the notice differs.
"""

from __future__ import annotations

import json
import re
import sys
from datetime import date, datetime
from pathlib import Path

OUT = Path(__file__).parent / "data" / "calendar.json"
DECIDED_UNTIL = 2026  # the last year whose days off had been announced when this file was generated

NAMES_VI = {
    "New Year's Day": "Tết Dương lịch",
    "Lunar New Year": "Tết Nguyên đán",
    "Hung Kings' Commemoration Day": "Giỗ Tổ Hùng Vương (10/3 âm lịch)",
    "Liberation Day/Reunification Day": "Ngày Giải phóng miền Nam, thống nhất đất nước",
    "International Labor Day": "Ngày Quốc tế Lao động",
    "National Day": "Quốc khánh",
    "Vietnam Cultural Day": "Ngày Văn hóa Việt Nam",
}
SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")


def vietnamese_name(name: str) -> str:
    if "substituted" in name:
        return "Nghỉ hoán đổi (làm bù ngày khác)"
    observed = " (observed)" in name
    base = name.replace(" (observed)", "")
    for key, vi in NAMES_VI.items():
        if key in base or ("Lunar New Year" in base and key == "Lunar New Year"):
            return f"Nghỉ bù {vi}" if observed else vi
    return base


def build(first: int, last: int) -> dict[str, object]:
    import holidays  # noqa: PLC0415 - a generation-time tool, not a run-time dependency

    years: dict[str, object] = {}
    for year in range(first, last + 1):
        days_off, worked = [], []
        for day, name in sorted(holidays.country_holidays("VN", years=year).items()):
            days_off.append({"date": day.isoformat(), "name": vietnamese_name(name)})
            match = SUBSTITUTED.search(name)
            if match:
                month, dom, yr = int(match.group(1)), int(match.group(2)), int(match.group(3))
                worked.append({"date": date(yr, month, dom).isoformat(),
                               "name": f"Làm bù cho ngày nghỉ {day.strftime('%d/%m/%Y')}"})
        years[str(year)] = {"projected": year > DECIDED_UNTIL, "days_off": days_off, "working_weekends": worked}
    return {"generated": datetime.now().date().isoformat(), "source": "holidays (PyPI), Vietnam; UTC+7 lunar",
            "years": years}


def main() -> None:
    first, last = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) == 3 else (2019, 2030)
    OUT.write_text(json.dumps(build(first, last), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
