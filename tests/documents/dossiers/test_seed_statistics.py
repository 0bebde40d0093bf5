"""Loading the province's reported dossier volume and checking that the statistics reproduce the report:
10/12/2019 - 10/3/2020, 62,738 received (2,018 online), 54,374 resolved (47,697 early or on time,
6,677 late), 8,364 in progress."""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy import select
from typer.testing import CliRunner

from core.db import engine_for, session_factory, session_scope
from documents.dossiers import stats
from documents.dossiers.catalog import ensure_procedures
from documents.dossiers.deadlines import Pause, classify, due_date
from documents.dossiers.models import Dossier, DossierPause, Procedure
from documents.dossiers.seedgen import SEED, load
from web.cli import app as giaoban


def test_seed_volume_reproduces_the_reported_figures(settings) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    with session_scope(session_factory(engine, write=True)) as s:
        ensure_procedures(s)
        loaded = load(s)
    assert loaded["dossiers"] == 62738

    with session_factory(engine)() as s:
        report = stats.summary(s, date(2019, 12, 10), date(2020, 3, 10))
        totals = report["totals"]
        assert totals["received"] == 62738
        assert totals["online"] == 2018
        assert totals["resolved"] == 54374
        assert totals["resolved_in_time"] == 47697
        assert totals["late"] == 6677
        assert totals["in_progress"] == 8364
        assert totals["on_time_rate"] == round(47697 / 54374, 4)
        assert 0 < totals["pending_overdue"] < totals["in_progress"]
        # Breakdowns add up to the whole.
        assert sum(r["received"] for r in report["by_unit"]) == 62738
        assert sum(r["late"] for r in report["by_procedure"]) == 6677
        departments = {p.unit_id for p in s.execute(select(Procedure)).scalars() if p.tier == "province"}
        assert len(report["by_unit"]) == len(departments) + 21  # every department with procedures + districts

        # A narrower period counts only what was received in it.
        december = stats.summary(s, date(2019, 12, 10), date(2019, 12, 31))["totals"]
        assert 0 < december["received"] < 62738

        months = stats.monthly_report(s, SEED.first, SEED.last)
        assert [m.month for m in months] == ["12/2019", "01/2020", "02/2020", "03/2020"]
        assert sum(m.new for m in months) == 62738
        assert months[0].carried_over == 0
        for before, after in zip(months, months[1:], strict=False):
            assert after.carried_over == before.pending
        assert months[-1].pending == 8364
        assert sum(m.resolved for m in months) == 54374
        assert sum(m.resolved_late for m in months) == 6677

        # The stored outcomes are the engine's verdicts on the stored timestamps.
        procs = {p.id: p for p in s.execute(select(Procedure)).scalars()}
        resolved = s.execute(select(Dossier.id, Dossier.procedure_id, Dossier.received_at, Dossier.resolved_at,
                                    Dossier.outcome, Dossier.due_date)
                             .where(Dossier.resolved_at.is_not(None))).all()
        sample = random.Random(7).sample(resolved, 1500)
        pauses: dict[int, list[Pause]] = {}
        for did, started, ended in s.execute(select(DossierPause.dossier_id, DossierPause.started_at,
                                                    DossierPause.ended_at)):
            pauses.setdefault(did, []).append(Pause(started, ended))
        for did, pid, received, resolved_at, outcome, stored_due in sample:
            p = procs[pid]
            due = due_date(received, p.processing_days, p.cutoff, pauses.get(did, []))
            assert due == stored_due
            assert classify(due, resolved_at).value == outcome

    # The command line words it as the report did.
    printed = CliRunner().invoke(giaoban, ["documents", "dossier-stats", "--from", "2019-12-10", "--to", "2020-03-10"])
    assert printed.exit_code == 0, printed.output
    assert "đã tiếp nhận 62.738 hồ sơ (2.018 hồ sơ tiếp nhận online)" in printed.output
    assert "có 47.697 hồ sơ giải quyết xong trước hạn và đúng hạn; có 6.677 hồ sơ" in printed.output
    assert "Số hồ sơ đang giải quyết: 8.364 hồ sơ." in printed.output
