"""The document pages render in Vietnamese for the people who use them: the registers with their
tabs, filters and search, a document with its files, history and the buttons its reader may press,
and the leader's inbox."""

from __future__ import annotations


def test_pages_render(client, login, auth_headers) -> None:  # type: ignore[no-untyped-def]
    clerk = auth_headers(client, "vanthu")
    doc = client.post("/api/documents/incoming", headers=clerk, json={
        "doc_type": "KH", "code": "35/KH-SGDĐT", "abstract": "Kế hoạch tổ chức kỳ thi tốt nghiệp THPT năm 2026",
        "issuer_name": "Sở Giáo dục và Đào tạo", "urgency": "hoa_toc"}).json()
    client.post(f"/api/documents/{doc['id']}/actions/submit", json={}, headers=clerk)

    login(client, "vanthu")
    page = client.get("/documents")
    assert page.status_code == 200
    html = page.text
    assert "Văn bản đến" in html and "Văn bản đi" in html and "35/KH-SGDĐT" in html and "Hỏa tốc" in html
    assert "Vào sổ văn bản đến" in html and "Nhận gói edXML" in html
    searched = client.get("/documents", params={"q": "ke hoach thi tot nghiep"})
    assert "35/KH-SGDĐT" in searched.text
    filtered = client.get("/documents", params={"doc_type": "QĐ"})
    assert "35/KH-SGDĐT" not in filtered.text
    outgoing = client.get("/documents", params={"register": "out"})
    assert outgoing.status_code == 200 and "Vào sổ văn bản đến" not in outgoing.text
    assert "Soạn văn bản đi" not in outgoing.text  # a clerk does not draft
    english = client.get("/documents", params={"lang": "en"})
    assert "Incoming" in english.text
    assert "Văn bản đến" in client.get("/documents", params={"lang": "vi"}).text

    login(client, "chutoa")
    inbox = client.get("/documents/inbox")
    assert inbox.status_code == 200 and "35/KH-SGDĐT" in inbox.text and "Chờ cho ý kiến chỉ đạo" in inbox.text
    detail = client.get(f"/documents/{doc['id']}")
    assert detail.status_code == 200
    assert "Kế hoạch tổ chức kỳ thi tốt nghiệp THPT năm 2026" in detail.text
    assert "Cho ý kiến chỉ đạo" in detail.text and "Đơn vị chủ trì" in detail.text  # the direct form
    assert "Quá trình xử lý" in detail.text and "Lê Thị Cúc" in detail.text  # history names the clerk
    assert "Soạn văn bản đi" in client.get("/documents", params={"register": "out"}).text
    assert client.get("/documents/999999").status_code == 404
    assert client.get("/static/documents/documents.js").status_code == 200


def test_inbox_is_for_people_handling_documents(client, login) -> None:  # type: ignore[no-untyped-def]
    login(client, "motcua")
    assert client.get("/documents/inbox").status_code == 403
    assert client.get("/documents").status_code == 200
