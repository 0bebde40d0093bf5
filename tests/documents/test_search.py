"""Accent-insensitive search: folded words match whatever the accents, over the abstract, the number
and notation, the issuing body and the text of PDF files, with filters, newest first."""

from __future__ import annotations

import pytest

from core.db import session_scope
from core.folding import fold, words
from documents import search
from documents.attachments import attach
from documents.creation import create_incoming
from documents.schemas import IncomingIn
from documents.search import SearchFilters, search_documents
from documents.workflow import apply_action
from tests.documents.conftest import pdf, unit_by_abbr, viewer_of

DOCS = [
    ("QĐ", "1520/QĐ-UBND", "Về phòng, chống dịch Covid-19 trên địa bàn tỉnh", "UBND tỉnh Hà Tĩnh", "hoa_toc"),
    ("KH", "88/KH-SYT", "Kế hoạch tiêm chủng mở rộng năm 2026", "Sở Y tế", "thuong"),
    ("CV", "412/SNN-TL", "V/v chuẩn bị phương án phòng chống lụt bão", "Sở Nông nghiệp và Phát triển nông thôn",
     "khan"),
    ("TB", "15/TB-VPCP", "Thông báo kết luận của Phó Thủ tướng về đường bộ cao tốc", "Văn phòng Chính phủ", "thuong"),
]


def test_folding() -> None:
    assert fold("Quyết định ĐIỀU ĐỘNG") == "quyet dinh dieu dong"
    assert words("Quyết định về phòng, chống dịch") == ["quyet", "dinh", "ve", "phong", "chong", "dich"]


@pytest.mark.parametrize("window", [5000, 1])
def test_accent_insensitive_search_with_filters(writer, store, monkeypatch, window: int) -> None:  # type: ignore[no-untyped-def]
    # window=1: on PostgreSQL nearly everything comes from the index below the newest-rows window.
    monkeypatch.setattr(search, "WINDOW", window)
    with session_scope(writer) as session:
        clerk = viewer_of(session, "vanthu")
        ids = []
        for doc_type, code, abstract, issuer, urgency in DOCS:
            doc = create_incoming(session, clerk, IncomingIn(doc_type=doc_type, code=code, abstract=abstract,
                                                             issuer_name=issuer, urgency=urgency))
            apply_action(session, doc.id, "register", clerk)
            ids.append(doc.id)
        attach(session, store, doc, "ket-luan.pdf", pdf("Ket luan ve du an duong ven bien Nghi Son - Cua Lo"))
        apply_action(session, ids[0], "submit", clerk)

    with session_scope(writer) as session:
        clerk = viewer_of(session, "vanthu")

        def find(text: str, **filters: object) -> list[int]:
            return [d.id for d in search_documents(session, clerk, text, SearchFilters(**filters))]

        assert find("quyet dinh ve phong chong dich") == [ids[0]]  # type name + abstract, no accents
        assert find("Quyết định về phòng, chống dịch") == [ids[0]]
        assert find("QUYET DINH phong CHONG dich") == [ids[0]]
        assert find("1520/QĐ-UBND") == [ids[0]]
        assert find("ha tinh") == [ids[0]]  # issuing body
        assert find("tiem chung") == [ids[1]]
        assert find("phong chong") == [ids[2], ids[0]]  # newest first
        assert find("phong chong", urgency="khan") == [ids[2]]
        assert find("phong chong", doc_type="QĐ") == [ids[0]]
        assert find("phong chong", state="submitted") == [ids[0]]
        assert find("phong chong", state="registered") == [ids[2]]
        assert find("duong ven bien cua lo") == [ids[3]]  # text of the PDF
        assert find("phong chong", unit_id=unit_by_abbr(session, "SYT").id) == []
        assert find("phong chong", register="out") == []
        assert find("khong co van ban nao nhu vay") == []
        assert find("   ,,, ") == []
        assert find('"phong" (chong*') == [ids[2], ids[0]]  # quotes and operators are just punctuation
        assert find("phong OR chong") == []  # "or" is a word to find, not an operator
        assert find("phong chong", state='registered") OR (zzpub') == []  # never query syntax


def test_search_through_the_api(client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    clerk = auth_headers(client, "vanthu")
    created = client.post("/api/documents/incoming", headers=clerk, json={
        "doc_type": "QĐ", "code": "7/QĐ-SYT", "abstract": "Quyết định về phòng, chống dịch sốt xuất huyết",
        "issuer_name": "Sở Y tế"}).json()
    found = client.get("/api/documents", params={"q": "quyet dinh ve phong chong dich"}, headers=clerk).json()
    assert found["mode"] == "search" and [d["id"] for d in found["items"]] == [created["id"]]
    assert client.get("/api/documents", params={"q": "x", "doc_type": "ZZ"}, headers=clerk).status_code == 422
    bad_state = client.get("/api/documents", params={"q": "x", "state": "done OR zzpub"}, headers=clerk)
    assert bad_state.status_code == 422 and "state" in bad_state.json()["detail"]
