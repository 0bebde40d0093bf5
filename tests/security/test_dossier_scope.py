"""Dossiers are acted on by the people who handle them (the resolving unit, the one-stop desk that
receives them), and only those people read the citizen's name, ID number, phone and address; everyone
else sees codes, statuses and counts (Decree 13/2023 on personal data)."""

from __future__ import annotations

import json

from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from core.people import Role
from core.province import create_user
from core.units import Unit
from tests.conftest import DEMO_PASSWORD

CITIZEN = {"procedure_code": "H41.SGTVT.01", "applicant_name": "Nguyễn Văn Bình",
           "applicant_id_number": "040123456789", "applicant_phone": "0912345678",
           "applicant_address": "Số 7 Lê Lợi, Hưng Dũng, TP Vinh"}
PRIVATE = ("Nguyễn Văn Bình", "040123456789", "0912345678", "Lê Lợi")


def _district_officer(settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        vinh = s.execute(select(Unit).where(Unit.code == "000.00.31.H41")).scalar_one()
        create_user(s, username="mc-vinh", role=Role.officer, password=DEMO_PASSWORD,
                    full_name="Lưu Thị Nga", unit=vinh)


def test_actions_and_personal_data_per_role(client, catalog, auth_headers, settings) -> None:  # type: ignore[no-untyped-def]
    h = {u: auth_headers(client, u) for u in ("motcua", "cv-gtvt", "gd-gtvt", "chuyenvien", "chutoa", "vanhanh",
                                                "admin", "vanthu")}
    d = client.post("/api/dossiers", json=CITIZEN, headers=h["motcua"]).json()

    def act(user: str, action: str) -> int:
        return client.post(f"/api/dossiers/{d['id']}/actions", json={"action": action}, headers=h[user]).status_code

    assert act("chuyenvien", "start") == 403  # the provincial office does not process a department's dossier
    assert act("cv-gtvt", "start") == 200
    assert act("cv-gtvt", "submit") == 200
    assert act("chutoa", "approve") == 403  # nor does a leader of another unit approve it
    assert act("gd-gtvt", "approve") == 200
    handlers, others = ("motcua", "cv-gtvt", "gd-gtvt"), ("chuyenvien", "chutoa", "vanhanh", "admin", "vanthu")
    second = client.post("/api/dossiers", json=CITIZEN, headers=h["motcua"]).json()  # in progress, due soon
    client.post(f"/api/dossiers/{second['id']}/actions", json={"action": "start"}, headers=h["cv-gtvt"])
    due = client.get("/api/dossiers/due-soon", params={"days": 30}, headers=h["vanhanh"])
    assert second["code"] in due.text and not [p for p in PRIVATE if p in due.text]  # the operations screen's list
    for user in handlers + others:
        listed = client.get("/api/dossiers", headers=h[user]).json()
        one = client.get(f"/api/dossiers/{d['id']}", headers=h[user]).json()
        text = json.dumps([listed, one], ensure_ascii=False)
        assert listed["total"] >= 2 and d["code"] in text, user  # counts and codes for all
        shown = [p for p in PRIVATE if p in text]
        assert shown == (list(PRIVATE) if user in handlers else []), (user, shown)
        assert (one["applicant"] is not None) == (user in handlers) == one["personal_data"], user
        by_name = client.get("/api/dossiers", params={"q": "Văn Bình"}, headers=h[user]).json()["total"]
        assert by_name == (2 if user in handlers else 0), user  # no name lookups outside one's dossiers
        by_code = client.get("/api/dossiers", params={"q": d["code"]}, headers=h[user]).json()["total"]
        assert by_code == 1, user
        page = client.get(f"/dossiers/{d['id']}", headers=h[user])
        assert page.status_code == 200 and ("040123456789" in page.text) == (user in handlers), user


def test_one_stop_desks_receive_only_their_own_procedures(client, catalog, auth_headers, settings) -> None:  # type: ignore[no-untyped-def]
    _district_officer(settings)
    centre, district = auth_headers(client, "motcua"), auth_headers(client, "mc-vinh", DEMO_PASSWORD)
    local = CITIZEN | {"procedure_code": "H41.HUYEN.01", "unit_code": "000.00.31.H41"}
    assert client.post("/api/dossiers", json=local, headers=centre).status_code == 403  # Vinh's own desk receives
    assert client.post("/api/dossiers", json=CITIZEN, headers=district).status_code == 403  # the centre receives
    own = client.post("/api/dossiers", json=local, headers=district)
    assert own.status_code == 201, own.text
    assert client.post(f"/api/dossiers/{own.json()['id']}/actions", json={"action": "refuse", "comment": "x"},
                       headers=centre).status_code == 403


def test_search_wildcards_match_only_themselves(client, catalog, auth_headers) -> None:  # type: ignore[no-untyped-def]
    officer = auth_headers(client, "motcua")
    client.post("/api/dossiers", json=CITIZEN, headers=officer)
    client.post("/api/dossiers", json=CITIZEN | {"applicant_name": "Lê 100% Thị_Hoa"}, headers=officer)
    for q, found in (("%", 1), ("_", 1), ("100%", 1), ("Thị_Hoa", 1), ("Thị%Hoa", 0), ("\\", 0), ("B_nh", 0)):
        assert client.get("/api/dossiers", params={"q": q}, headers=officer).json()["total"] == found, q
