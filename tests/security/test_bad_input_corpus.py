"""Bad and hostile input, each refused with a 4xx that names the field or the reason, while other people's
logins and writes go on: run against the real server, every case concurrently with a clerk registering
documents. Each of the clerk's logins and registrations must succeed: a request that held the database's
write lock would make them wait for it, and fail after the busy timeout (the slow file is the one that used
to hold it for over a minute). No time limits: how fast they are is the benches' business."""

from __future__ import annotations

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from starlette.websockets import WebSocketDisconnect

from tests.conftest import DEMO_PASSWORD
from tests.security.hostile_files import nested_pdf, png_bomb, shared_stream_pdf, zip_bomb_docx

HUGE = "99999999999999999999"
INCOMING = {"doc_type": "CV", "abstract": "Về việc chuẩn bị giao ban", "issuer_name": "Sở Tư pháp"}
MEETING = {"title": "Giao ban", "scheduled_at": "2026-11-25T08:00", "chair": "chutoa", "invited": ["dc-vinh"]}


def _token(base: str, user: str) -> dict[str, str]:
    answer = httpx.post(f"{base}/api/auth/login", json={"username": user, "password": DEMO_PASSWORD}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _round(c: httpx.Client) -> None:
    """Another person's work: log in, register a document; both must succeed. A hostile request that held
    the database's write lock would make the registration wait for it (and fail after the busy timeout)."""
    login = c.post("/api/auth/login", json={"username": "vanthu", "password": DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    made = c.post("/api/documents/incoming", json=INCOMING,
                  headers={"Authorization": f"Bearer {login.json()['access_token']}"})
    assert made.status_code == 201, made.text


def _cases(base: str, h: dict[str, dict[str, str]], draft_id: int) -> list[tuple[str, object, str]]:
    """(name, callable returning the answer, what the refusal must name)."""
    c = httpx.Client(base_url=base, timeout=120)
    upload = f"/api/documents/{draft_id}/attachments"

    def files(name: str, data: bytes, who: str = "chuyenvien"):  # type: ignore[no-untyped-def]
        return lambda: c.post(upload, files={"file": (name, data)}, headers=h[who])

    return [
        ("id beyond 64 bits", lambda: c.get(f"/api/documents/{HUGE}", headers=h["vanthu"]), "document_id"),
        ("minutes id", lambda: c.get(f"/api/minutes/{HUGE}", headers=h["admin"]), "minutes_id"),
        ("camera id", lambda: c.get(f"/api/ops/cameras/{HUGE}", headers=h["admin"]), "camera_id"),
        ("meeting attendance id", lambda: c.get(f"/api/meetings/{HUGE}/attendance", headers=h["admin"]), "meeting_id"),
        ("last day of the calendar", lambda: c.get("/api/documents", params={"date_from": "9999-12-31"},
                                                   headers=h["vanthu"]), "date_from"),
        ("kpi month at the end", lambda: c.get("/api/dossiers/kpi", params={"period": "9999-12"},
                                               headers=h["admin"]), "period"),
        ("stats in year 1", lambda: c.get("/api/dossiers/stats", params={"from": "0001-01-01", "to": "0011-01-01"},
                                          headers=h["admin"]), "from"),
        ("meeting in year 1", lambda: c.post("/api/meetings", json=MEETING | {"scheduled_at": "0001-01-01T00:00"},
                                             headers=h["chutoa"]), "scheduled_at"),
        ("received in 9999", lambda: c.post("/api/documents/incoming",
                                            json=INCOMING | {"received_at": "9999-12-31T23:59:59"},
                                            headers=h["vanthu"]), "received_at"),
        ("negative unit in search", lambda: c.get("/api/documents", params={"q": "x", "unit_id": "-1470"},
                                                  headers=h["vanthu"]), "unit_id"),
        ("negative year in search", lambda: c.get("/api/documents", params={"q": "x", "year": "-5"},
                                                  headers=h["vanthu"]), "year"),
        ("NUL in an abstract", lambda: c.post("/api/documents/incoming", json=INCOMING | {"abstract": "a\x00b"},
                                              headers=h["vanthu"]), "abstract"),
        ("NUL in a meeting title", lambda: c.post("/api/meetings", json=MEETING | {"title": "Giao\x00ban"},
                                                  headers=h["chutoa"]), "title"),
        ("NUL in a search", lambda: c.get("/api/dossiers", params={"q": "a\x00"}, headers=h["admin"]), "q"),
        ("bidi file name", files("report\u202egnp.pdf", shared_stream_pdf(1, 10)), "U+202E"),
        ("PNG decompression bomb", files("anh.png", png_bomb()), "megapixels"),
        ("ZIP bomb named .docx", files("to-trinh.docx", zip_bomb_docx()), "100 MB"),
        ("40 pages sharing a content stream", files("bao-cao.pdf", shared_stream_pdf()), "4 MB"),
        ("nested PDF to verify", lambda: c.post("/api/signatures/verify", files={"file": ("ky.pdf", nested_pdf())},
                                               headers=h["admin"]), "nested"),
        ("unknown document type", lambda: c.post("/api/documents/incoming", json=INCOMING | {"doc_type": "XX"},
                                                 headers=h["vanthu"]), "doc_type"),
        ("page far past the end", lambda: c.get("/api/documents", params={"offset": "99999999"},
                                                headers=h["vanthu"]), "offset"),
        ("cross-site post with the cookie", lambda: c.post(
            "/api/meetings", json=MEETING, headers={"Origin": "https://evil.example", "Cookie":
                                                    f"giaoban_session={h['chutoa']['Authorization'][7:]}"}), "Origin"),
    ]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_every_bad_input_gets_a_4xx_while_others_keep_writing(live_server, settings) -> None:  # type: ignore[no-untyped-def]
    h = {u: _token(live_server, u) for u in ("admin", "vanthu", "chuyenvien", "chutoa")}
    draft = httpx.post(f"{live_server}/api/documents/outgoing", headers=h["chuyenvien"], timeout=30,
                       json={"doc_type": "CV", "abstract": "Dự thảo báo cáo"}).json()
    cases = _cases(live_server, h, draft["id"])
    answered = threading.Event()
    rounds: list[None] = []

    def clerk_keeps_writing() -> None:
        """Rounds one after another for as long as the hostile requests are being answered."""
        with httpx.Client(base_url=live_server, timeout=120) as c:
            while not answered.is_set() or not rounds:
                rounds.append(_round(c))

    with ThreadPoolExecutor(4) as pool:
        writer = pool.submit(clerk_keeps_writing)
        try:
            answers = list(pool.map(lambda case: (case[0], case[1](), case[2]), cases))
        finally:
            answered.set()
        writer.result()  # every round logged in and registered its document
    wrong = [(name, r.status_code, r.text[:200]) for name, r, named in answers
             if not 400 <= r.status_code < 500 or named not in r.text]
    assert wrong == []
    assert rounds


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_slow_pdf_is_stopped_at_its_time_limit_without_stalling_anyone(live_server, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from documents import inspection

    monkeypatch.setattr(inspection, "TIME_LIMIT_S", 1.0)
    h = {u: _token(live_server, u) for u in ("vanthu", "chuyenvien")}
    draft = httpx.post(f"{live_server}/api/documents/outgoing", headers=h["chuyenvien"], timeout=30,
                       json={"doc_type": "CV", "abstract": "Dự thảo"}).json()
    slow = shared_stream_pdf(pages=4, ops=50_000)  # within the work budget, seconds of text extraction
    # The upload is held at the start of its inspection until the clerk's round is over: the round must
    # complete while the file is still being looked at (whatever the machine's load), then the file is
    # opened for real and stopped at its time limit.
    real_check, inspecting, go_on = inspection.check, threading.Event(), threading.Event()

    async def held_check(name: str, data: bytes):  # type: ignore[no-untyped-def]
        inspecting.set()
        await asyncio.to_thread(go_on.wait, 300)
        return await real_check(name, data)

    monkeypatch.setattr(inspection, "check", held_check)
    with ThreadPoolExecutor(2) as pool, httpx.Client(base_url=live_server, timeout=120) as c:
        upload = pool.submit(httpx.post, f"{live_server}/api/documents/{draft['id']}/attachments",
                             files={"file": ("cham.pdf", slow)}, headers=h["chuyenvien"], timeout=600)
        try:
            assert inspecting.wait(120), upload.result()
            _round(c)  # logs in and registers while the PDF is being opened
            assert not upload.done()
        finally:
            go_on.set()
        refused = upload.result()
    assert refused.status_code == 422 and "1 s" in refused.json()["detail"], refused.text
    assert httpx.get(f"{live_server}/api/documents/{draft['id']}", headers=h["chuyenvien"],
                     timeout=30).json()["attachments"] == []


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_huge_meeting_id_gets_an_error_frame(client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "chutoa")
    with client.websocket_connect(f"/ws/meetings/{HUGE}") as ws:
        ws.send_text(json.dumps({"v": 1, "type": "join", "ref": "1", "role": "host"}))
        answer = ws.receive_json()
    assert answer["type"] == "error" and answer["code"] in ("not_found", "invalid_message"), answer


def test_nul_text_is_refused_on_every_backend(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    clerk = auth_headers(client, "vanthu")
    refused = client.post("/api/documents/incoming", json=INCOMING | {"abstract": "x\u0000y"}, headers=clerk)
    assert refused.status_code == 422 and refused.json()["fields"] == ["abstract"]
    assert client.post("/api/documents/incoming", json=INCOMING, headers=clerk).status_code == 201
    with pytest.raises(WebSocketDisconnect), client.websocket_connect("/ws/meetings/1?x=%00"):
        pass
