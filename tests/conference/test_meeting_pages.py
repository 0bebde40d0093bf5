"""The meeting pages as people reach them, the ops-dashboard snapshot and the demo meeting."""

from __future__ import annotations

import json

from sqlalchemy import select

from conference import demo, kpi
from conference.models import Meeting
from tests.conference.helpers import join, schedule_meeting, socket


def test_meeting_list_and_schedule_form_by_role(client, login) -> None:  # type: ignore[no-untyped-def]
    meeting = schedule_meeting(client)
    login(client, "thuky")
    page = client.get("/meetings", headers={"Accept": "text/html"}).text
    assert "Lên lịch cuộc họp" in page and meeting["title"] in page and "Đã lên lịch" in page
    assert page.count('name="invited"') == 26  # every endpoint can be invited
    detail = client.get(f"/meetings/{meeting['id']}").text
    assert "Tình hình kinh tế - xã hội tháng 11" in detail and "Bàn điều khiển" in detail
    console = client.get(f"/meetings/{meeting['id']}/console").text
    # The console builds its tiles from the invited units (and their accent-folded names, for search).
    search = json.loads(console.split('<script type="application/json" id="search-data">')[1].split("</script>")[0])
    assert len(search) == 3 and search["dc-vinh"].startswith("tp vinh") and "Cho phát biểu" in console
    assert client.get(f"/meetings/{meeting['id']}/room").status_code == 403

    login(client, "dc-vinh")
    page = client.get("/meetings").text
    assert "Lên lịch cuộc họp" not in page and meeting["title"] in page
    assert "Vào phòng họp" in client.get(f"/meetings/{meeting['id']}").text
    room = client.get(f"/meetings/{meeting['id']}/room").text
    assert "Xin phát biểu" in room and "Nguyễn Văn An" in room
    assert client.get(f"/meetings/{meeting['id']}/console").status_code == 403

    login(client, "dc-kyson")  # not invited
    assert meeting["title"] not in client.get("/meetings").text
    assert client.get(f"/meetings/{meeting['id']}/room").status_code == 404

    login(client, "vanhanh")  # operations: observes from the console, without host controls
    console = client.get(f"/meetings/{meeting['id']}/console").text
    assert 'data-role="observer"' in console and "Cho phát biểu" not in console


def test_a_meeting_without_agenda_says_so(client, login) -> None:  # type: ignore[no-untyped-def]
    meeting = schedule_meeting(client, agenda=[])
    login(client, "thuky")
    detail = client.get(f"/meetings/{meeting['id']}").text
    assert "Chưa có chương trình" in detail and "<ol>" not in detail
    assert "No agenda yet" in client.get(f"/meetings/{meeting['id']}?lang=en").text
    agenda = client.get(f"/meetings/{schedule_meeting(client)['id']}").text
    assert "Chưa có chương trình" not in agenda and "Ý kiến các địa phương" in agenda


def test_ops_snapshot_follows_the_meeting(client, auth_headers, session) -> None:  # type: ignore[no-untyped-def]
    assert kpi.snapshot(session)["in_progress"] is False
    meeting = schedule_meeting(client)
    session.rollback()
    idle = kpi.snapshot(session)
    assert idle["in_progress"] is False and idle["next_meeting"]["id"] == meeting["id"]
    client.post(f"/api/meetings/{meeting['id']}/start", headers=auth_headers(client, "chutoa"))
    with socket(client, meeting["id"], "chutoa") as host, socket(client, meeting["id"], "dc-vinh") as vinh:
        join(host, meeting["id"], "host")
        join(vinh, meeting["id"], "district")
        session.rollback()  # a fresh read transaction sees the socket's writes
        live = kpi.snapshot(session)
        assert live["in_progress"] and live["meeting"]["id"] == meeting["id"]
        # The chair's hall is not an endpoint: listed apart, not counted.
        assert [c["participant"] for c in live["endpoints"]["connected"]] == ["dc-vinh"]
        assert [c["participant"] for c in live["hall"]] == ["chutoa"]
        assert [m["participant"] for m in live["endpoints"]["missing"]] == ["dc-cualo", "dc-thaihoa"]
        assert live["link_quality"]["unknown"] == 1  # no media yet, so no link figures
        assert live["speaking"] is None
    session.rollback()  # a fresh read transaction sees the socket's writes
    after = kpi.snapshot(session)
    assert after["in_progress"] and after["endpoints"]["connected"] == []
    client.post(f"/api/meetings/{meeting['id']}/end", headers=auth_headers(client, "chutoa"))
    session.rollback()
    ended = kpi.snapshot(session)  # the screen keeps the meeting, as ended
    assert ended["in_progress"] is False and ended["meeting"] is None
    assert ended["last_meeting"] | {"ended_at": None} == {
        "id": meeting["id"], "title": meeting["title"], "status": "ended", "ended_at": None, "invited": 3,
        "attended": 1}


def test_rest_end_disconnects_the_sockets(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    mid = schedule_meeting(client)["id"]
    with socket(client, mid, "dc-vinh") as vinh:
        join(vinh, mid, "district")
        ended = client.post(f"/api/meetings/{mid}/end", headers=auth_headers(client, "chutoa"))
        assert ended.status_code == 200 and ended.json()["status"] == "ended"
        assert vinh.receive_json() == {"v": 1, "type": "meeting_ended", "by": "chutoa"}
    attendance = client.get(f"/api/meetings/{mid}/attendance", headers=auth_headers(client, "chutoa")).json()
    (unit,) = attendance["units"]
    assert unit["unit"]["short_name"] == "TP Vinh" and unit["intervals"][0]["reason"] == "ended"
    assert attendance["attended"] == 1 and len(attendance["absent"]) == 2


def test_demo_seed_schedules_this_months_meeting_once(settings, session) -> None:  # type: ignore[no-untyped-def]
    lines = demo.seed(session, settings)
    session.commit()
    assert len(lines) == 1 and "26 endpoints" in lines[0]
    (meeting,) = session.execute(select(Meeting)).scalars().all()
    assert meeting.title.startswith("Giao ban trực tuyến tháng ")
    assert len(meeting.invitations) == 26 and len(meeting.agenda) == 5 and meeting.status == "scheduled"
    assert demo.seed(session, settings) == []


def test_invited_units_follow_the_provinces_order(client) -> None:  # type: ignore[no-untyped-def]
    """Districts first, then the provincial bodies, then the departments (not Sở TT&TT and Sở Y tế
    ahead of every district because their codes are smaller)."""
    meeting = schedule_meeting(client, invited=["dc-yte", "dc-tttt", "dc-congan", "dc-cualo", "dc-vinh"])
    assert [e["username"] for e in meeting["invited"]] == ["dc-vinh", "dc-cualo", "dc-congan", "dc-tttt", "dc-yte"]
