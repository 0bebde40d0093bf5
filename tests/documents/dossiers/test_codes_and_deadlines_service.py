"""Dossier codes under concurrent receipts, and the late-dossier path: pending overdue, about-to-be-late
alerts, the apology slip with its new date, and a late resolution."""

from __future__ import annotations

import re
import threading
from datetime import datetime

from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from core.people import User
from documents.dossiers import kpi, stats
from documents.dossiers.catalog import procedure_by_code
from documents.dossiers.deadlines import VN_TIME
from documents.dossiers.models import Dossier
from documents.dossiers.workflow import receive, transition


def vn(y: int, m: int, d: int, hh: int = 9) -> datetime:
    return datetime(y, m, d, hh, tzinfo=VN_TIME)


def test_codes_have_no_gaps_or_duplicates_under_concurrent_writers(settings, catalog) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    factory = session_factory(engine, write=True)
    moment = vn(2020, 3, 2)
    codes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        try:
            for i in range(8):
                with session_scope(factory) as s:
                    officer = s.execute(select(User).where(User.username == "motcua")).scalar_one()
                    proc = procedure_by_code(s, "H41.SGTVT.01")
                    change = receive(s, actor=officer, procedure=proc, unit=None, channel="desk",
                                     applicant_name=f"Người nộp {n}-{i}", now=moment)
                    code = change.dossier.code
                    if i == 3:  # this transaction fails after taking a number: the number must come back
                        raise RuntimeError("rolled back")
                with lock:
                    codes.append(code)
        except RuntimeError:
            pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == []
    assert len(codes) == 6 * 3  # each worker stops at its rolled-back fourth receipt
    assert all(re.match(r"^000\.00\.08\.H41-200302-\d{4}$", c) for c in codes)
    assert sorted(int(c[-4:]) for c in codes) == list(range(1, 19))
    with session_factory(engine)() as s:
        stored = sorted(s.execute(select(Dossier.code)).scalars())
    assert stored == sorted(codes)


def test_late_dossier_alerts_apology_and_late_resolution(settings, catalog, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    engine = engine_for(settings.database_url)
    with session_scope(session_factory(engine, write=True)) as s:
        officer, specialist, chair = (s.execute(select(User).where(User.username == u)).scalar_one()
                                      for u in ("motcua", "cv-gtvt", "gd-gtvt"))
        proc = procedure_by_code(s, "H41.SGTVT.01")  # 5 working days
        d = receive(s, actor=officer, procedure=proc, unit=None, channel="desk", applicant_name="Lê Văn Tâm",
                    now=vn(2020, 3, 2)).dossier
        dossier_id = d.id
        assert d.due_date.isoformat() == "2020-03-09"
        transition(s, dossier_id, "start", specialist, now=vn(2020, 3, 3))

    with session_factory(engine)() as s:
        soon = kpi.about_to_be_late(s, 1, now=vn(2020, 3, 6))
        assert [x["code"] for x in soon] == [d.code] and soon[0]["working_days_left"] == 1
        assert kpi.about_to_be_late(s, 1, now=vn(2020, 3, 4)) == []
        assert stats.summary(s, vn(2020, 3, 1).date(), vn(2020, 3, 12).date(),
                             now=vn(2020, 3, 12))["totals"]["pending_overdue"] == 1

    officer_h = auth_headers(client, "motcua")
    stored = client.get(f"/api/dossiers/{dossier_id}", headers=officer_h).json()
    assert stored["received_at"] == "2020-03-02T09:00+07:00"  # a Vietnam-time input is stored as the same instant
    assert client.get(f"/dossiers/{dossier_id}/apology", headers=officer_h).status_code == 409
    with session_scope(session_factory(engine, write=True)) as s:
        from documents.dossiers.workflow import apologise

        change = apologise(s, dossier_id, officer, "Cần xác minh thêm với cơ quan cấp giấy phép", 3,
                           now=vn(2020, 3, 12))
        assert change.dossier.new_return_date.isoformat() == "2020-03-17"
        transition(s, dossier_id, "submit", specialist, now=vn(2020, 3, 13))
        resolved = transition(s, dossier_id, "approve", chair, now=vn(2020, 3, 13)).dossier
        assert resolved.outcome == "late"

    slip = client.get(f"/dossiers/{dossier_id}/apology", headers=officer_h)
    assert slip.status_code == 200
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in slip.text
    assert "17/03/2020" in slip.text and "09/03/2020" in slip.text and "Lê Văn Tâm" in slip.text

    with session_factory(engine)() as s:
        snap = kpi.snapshot(s, "2020-03", now=vn(2020, 3, 31))
        assert snap["received"] == 1 and snap["late"] == 1 and snap["on_time_rate"] == 0.0
        assert snap["by_unit"][0]["unit"] == "000.00.08.H41"
    page = client.get("/dossiers/stats", params={"from": "2020-03-01", "to": "2020-03-31"}, headers=officer_h)
    assert page.status_code == 200 and 'id="late">1<' in page.text
