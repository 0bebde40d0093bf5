"""The province's dossier volume from its own report, generated: 10/12/2019 - 10/3/2020, 62,738 dossiers
received (2,018 online), 54,374 resolved (47,697 early or on time, 6,677 late), 8,364 still in progress.

Each dossier gets a procedure, a receipt time, perhaps a supplement pause, and a resolution time chosen
relative to the due date the deadline engine computes for it; the stored outcome is then what the engine
classifies from those timestamps (the generator checks that it matches the intent, it never stores a label).
Rows go in through bulk COPY/executemany, so the whole volume loads in seconds."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.unit_sets import UnitSet, current
from core.units import Unit
from documents.dossiers.bulk import copy_rows, next_id, resync_sequence
from documents.dossiers.calendar import WorkCalendar, default_calendar
from documents.dossiers.catalog import performing_kind
from documents.dossiers.deadlines import VN_TIME, Outcome, Pause, classify, due_date, local_date, start_day
from documents.dossiers.models import Dossier, DossierCounter, DossierEvent, DossierPause, Procedure
from documents.dossiers.numbering import format_code
from documents.dossiers.status import Status


@dataclass(frozen=True)
class Volume:
    first: date
    last: date
    received: int
    online: int
    early: int
    on_time: int
    late: int

    @property
    def resolved(self) -> int:
        return self.early + self.on_time + self.late

    @property
    def in_progress(self) -> int:
        return self.received - self.resolved


# The report gives early and on time together (47,697); the split between them is ours.
SEED = Volume(first=date(2019, 12, 10), last=date(2020, 3, 10), received=62738, online=2018,
              early=31005, on_time=16692, late=6677)

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương",
          "Lý", "Thái", "Đinh", "Cao", "Lương", "Hà"]
MIDDLE = ["Văn", "Thị", "Đình", "Hữu", "Ngọc", "Minh", "Thanh", "Xuân", "Quốc", "Thu", "Hồng", "Đức", "Bá"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hạnh", "Hiếu", "Hoa", "Hùng", "Hương", "Lan", "Linh",
         "Long", "Mai", "Minh", "Nam", "Nga", "Phương", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn",
         "Vinh", "Yến", "Lộc", "Nghĩa"]
PLACES = ["Hưng Dũng, TP Vinh", "Nghi Phú, TP Vinh", "Quỳnh Lập, Hoàng Mai", "Diễn Thành, Diễn Châu",
          "Nghi Thu, Cửa Lò", "Đô Thành, Yên Thành", "Hưng Tây, Hưng Nguyên", "Nam Giang, Nam Đàn",
          "Thanh Ngọc, Thanh Chương", "Nghĩa Thuận, Thái Hòa", "Tân Phú, Tân Kỳ", "Mường Xén, Kỳ Sơn"]
SEED_ACTOR = "Dữ liệu I-Gate (nạp)"


@dataclass
class Desk:
    unit_id: int
    unit_code: str
    weight: float
    procedures: list[Procedure]


# How busy a desk is: a department's, a district's; the communes of the communes set share the districts' load.
DEPARTMENT_WEIGHT, DISTRICT_WEIGHT, COMMUNE_WEIGHT = 6.0, 30.0, 1.0
DISTRICTS = 21


def desks(session: Session, unit_set: UnitSet | str | None = None) -> list[Desk]:
    """Which units receive which procedures, weighted by how busy such a desk is. In the communes set the
    communes perform the district procedures too and take the districts' share of the volume."""
    chosen = current() if unit_set is None else UnitSet(unit_set)
    procs = list(session.execute(select(Procedure).where(Procedure.active)).scalars())
    by_kind: dict[str, list[Procedure]] = defaultdict(list)
    for p in procs:
        by_kind[performing_kind(p.tier, chosen) or "department"].append(p)
    units = list(session.execute(select(Unit).order_by(Unit.code)).scalars())
    weight = {"district": DISTRICT_WEIGHT, "commune": COMMUNE_WEIGHT}
    if chosen is UnitSet.communes:
        weight["commune"] = DISTRICT_WEIGHT * DISTRICTS / max(1, sum(u.kind == "commune" for u in units))
    result = []
    for unit in units:
        if unit.kind == "department":
            own = [p for p in by_kind["department"] if p.unit_id == unit.id]
            if own:
                result.append(Desk(unit.id, unit.code, DEPARTMENT_WEIGHT, own))
        elif unit.kind in weight and by_kind[unit.kind]:
            result.append(Desk(unit.id, unit.code, weight[unit.kind], by_kind[unit.kind]))
    if not result:
        raise ValueError("no unit has procedures: load the catalog (ensure_procedures) first")
    return result


class Generator:
    def __init__(self, session: Session, volume: Volume = SEED, seed: int = 20200310,
                 cal: WorkCalendar | None = None, unit_set: UnitSet | str | None = None) -> None:
        self.session, self.volume, self.rng = session, volume, random.Random(seed)
        self.cal = cal or default_calendar()
        self.desks = desks(session, unit_set)
        self.weights = [d.weight for d in self.desks]
        day, self.days = volume.first, []
        while day <= volume.last:
            self.days.append(day)
            day += timedelta(days=1)
        self.working = [d for d in self.days if self.cal.is_working_day(d)]
        self.period_end = datetime.combine(volume.last + timedelta(days=1), time(0), VN_TIME)

    def _moment(self, day: date, earliest: datetime | None = None, online: bool = False) -> datetime:
        hours = (0, 24) if online else (7, 17)
        for _ in range(20):
            minute = self.rng.randrange(hours[0] * 60, hours[1] * 60)
            moment = datetime.combine(day, time(minute // 60, minute % 60), VN_TIME)
            if earliest is None or moment > earliest:
                return moment
        return (earliest or moment) + timedelta(minutes=5)

    def _receipt(self, online: bool, recent: bool) -> datetime:
        if online:  # online dossiers arrive any day, any hour; they are accepted on receipt here
            day = self.rng.choice(self.days[-25:] if recent else self.days)
        else:
            day = self.rng.choice(self.working[-15:] if recent else self.working)
        return self._moment(day, online=online)

    def _one(self, intent: str, online: bool) -> dict[str, Any]:
        for _ in range(200):
            desk = self.rng.choices(self.desks, self.weights)[0]
            proc = self.rng.choice(desk.procedures)
            if intent == "early" and proc.processing_days == 0:
                continue
            received = self._receipt(online, recent=intent == "open" and self.rng.random() < 0.75)
            pauses: list[Pause] = []
            first = start_day(received, proc.cutoff, self.cal)
            if intent != "open" and proc.processing_days >= 2 and self.rng.random() < 0.08:
                p_day = self.cal.add_working_days(first, self.rng.randrange(0, proc.processing_days))
                p_start = self._moment(p_day, earliest=received)
                p_end_day = self.cal.add_working_days(p_day, self.rng.randint(1, 5))
                pauses.append(Pause(p_start, self._moment(p_end_day, earliest=p_start)))
            due = due_date(received, proc.processing_days, proc.cutoff, pauses, cal=self.cal)
            floor = max([received] + [p.ended_at for p in pauses if p.ended_at])
            floor_day = local_date(floor)
            last_day = self.volume.last
            resolved_day: date | None = None
            if intent == "early":
                options = [d for d in self.working if floor_day <= d < due and d <= last_day]
                resolved_day = self.rng.choice(options) if options else None
            elif intent == "on_time":
                resolved_day = due if floor_day <= due <= last_day else None
            elif intent == "late":
                options = [d for d in self.working if d > due and d >= floor_day and d <= last_day]
                resolved_day = self.rng.choice(options[:15]) if options else None
            elif intent == "open":
                return self._row(desk, proc, online, received, pauses, due, None)
            if resolved_day is None:
                continue
            resolved = self._moment(resolved_day, earliest=floor)
            if local_date(resolved) != resolved_day or resolved >= self.period_end:
                continue
            outcome = classify(due, resolved)
            if outcome.value != intent:  # the engine decides; a mismatch is a generator bug
                raise AssertionError(f"generated {intent} but the engine says {outcome}")
            return self._row(desk, proc, online, received, pauses, due, resolved, outcome)
        raise RuntimeError(f"could not place a dossier resolved {intent} inside the period")

    def _row(self, desk: Desk, proc: Procedure, online: bool, received: datetime, pauses: list[Pause],
             due: date, resolved: datetime | None, outcome: Outcome | None = None) -> dict[str, Any]:
        submitted = received - timedelta(minutes=self.rng.randint(5, 600)) if online else received
        status, returned, paused_since = Status.processing, None, None
        open_pauses = []
        if resolved is not None:
            returned = resolved + timedelta(hours=self.rng.randint(1, 72))
            status = Status.returned if returned < self.period_end else Status.processed
            returned = returned if status == Status.returned else None
        else:
            roll = self.rng.random()
            if roll < 0.2:
                status = Status.accepted
            elif roll < 0.3:
                status = Status.supplement
                day = max(start_day(received, proc.cutoff, self.cal), self.working[-10])
                paused_since = self._moment(min(day, self.volume.last), earliest=received)
                open_pauses.append(Pause(paused_since))
        name = f"{self.rng.choice(FAMILY)} {self.rng.choice(MIDDLE)} {self.rng.choice(GIVEN)}"
        return {"desk": desk, "proc": proc, "online": online, "submitted": submitted, "received": received,
                "pauses": pauses + open_pauses, "due": due, "resolved": resolved, "outcome": outcome,
                "returned": returned, "status": status, "paused_since": paused_since, "name": name}

    def rows(self) -> list[dict[str, Any]]:
        v = self.volume
        intents = (["early"] * v.early + ["on_time"] * v.on_time + ["late"] * v.late
                   + ["open"] * v.in_progress)
        online = [True] * v.online + [False] * (v.received - v.online)
        self.rng.shuffle(intents)
        self.rng.shuffle(online)
        return [self._one(intent, on) for intent, on in zip(intents, online, strict=True)]


def _utc(moment: datetime | None) -> datetime | None:
    return moment.astimezone(UTC) if moment else None


DOSSIER_COLUMNS = ("id", "code", "procedure_id", "unit_id", "channel", "status", "awaiting_approval",
                   "applicant_name", "applicant_id_number", "applicant_phone", "applicant_address", "note",
                   "submitted_at", "received_at", "due_date", "paused_since", "resolved_at", "outcome",
                   "returned_at", "closed_at", "received_by", "handler_id", "new_return_date", "apology_reason",
                   "apology_at", "updated_at")


def load(session: Session, volume: Volume = SEED, seed: int = 20200310, history: bool = True,
         unit_set: UnitSet | str | None = None) -> dict[str, int]:
    """Generate and bulk-insert the volume; codes continue any existing daily sequences."""
    gen = Generator(session, volume, seed, unit_set=unit_set)
    rows = gen.rows()
    rows.sort(key=lambda r: r["submitted"])
    conn = session.connection()
    first_id = next_id(conn, "dos_dossiers")
    existing = {(u, d): last for u, d, last in session.execute(
        select(DossierCounter.unit_id, DossierCounter.day, DossierCounter.last)).all()}
    counters: dict[tuple[int, date], int] = {}
    dossiers, pauses, events = [], [], []
    rng = gen.rng
    for offset, r in enumerate(rows):
        did = first_id + offset
        desk: Desk = r["desk"]
        day = local_date(r["submitted"])
        key = (desk.unit_id, day)
        seq = counters.get(key, existing.get(key, 0)) + 1
        counters[key] = seq
        last_change = r["returned"] or r["resolved"] or r["paused_since"] or r["received"]
        dossiers.append((
            did, format_code(desk.unit_code, day, seq), r["proc"].id, desk.unit_id,
            "online" if r["online"] else "desk", int(r["status"]), False, r["name"],
            f"0{rng.randrange(10**10, 10**11)}", f"09{rng.randrange(10**7, 10**8)}", rng.choice(PLACES), "",
            _utc(r["submitted"]), _utc(r["received"]), r["due"], _utc(r["paused_since"]), _utc(r["resolved"]),
            r["outcome"].value if r["outcome"] else None, _utc(r["returned"]), None, None, None, None, "", None,
            _utc(last_change)))
        for p in r["pauses"]:
            pauses.append((did, int(Status.supplement), _utc(p.started_at), _utc(p.ended_at),
                           "Bổ sung giấy tờ còn thiếu"))
        if history:
            events.append((did, "receive", None, int(Status.accepted), SEED_ACTOR, _utc(r["received"]), "",
                           json.dumps({"channel": "online" if r["online"] else "desk"})))
            if r["resolved"]:
                events.append((did, "approve", int(Status.processing), int(Status.processed), SEED_ACTOR,
                               _utc(r["resolved"]), "", json.dumps({"outcome": r["outcome"].value})))
            if r["returned"]:
                events.append((did, "return_result", int(Status.processed), int(Status.returned), SEED_ACTOR,
                               _utc(r["returned"]), "", "{}"))
    copy_rows(conn, Dossier.__table__, DOSSIER_COLUMNS, dossiers)
    copy_rows(conn, DossierPause.__table__, ("dossier_id", "status", "started_at", "ended_at", "reason"), pauses)
    copy_rows(conn, DossierEvent.__table__, ("dossier_id", "action", "from_status", "to_status", "actor_name",
                                             "at", "comment", "detail"), events)
    resync_sequence(conn, "dos_dossiers")
    for (unit_id, day), last in counters.items():
        if (unit_id, day) in existing:
            session.execute(DossierCounter.__table__.update().where(
                DossierCounter.unit_id == unit_id, DossierCounter.day == day).values(last=last))
    copy_rows(conn, DossierCounter.__table__, ("unit_id", "day", "last"),
              [(u, d, last) for (u, d), last in counters.items() if (u, d) not in existing])
    return {"dossiers": len(dossiers), "pauses": len(pauses), "events": len(events)}
