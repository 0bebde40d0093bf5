"""Confidential documents (mật, tối mật, tuyệt mật) are seen only by the unit keeping them, the issuing
unit and the units and people they were sent or assigned to — in the register page, in search results
and on the document itself; unclassified documents stay visible to everyone."""

from __future__ import annotations

from core.db import session_scope
from core.people import Role
from tests.documents.conftest import unit_by_abbr


def test_secret_documents_only_for_their_parties(client, auth_headers, add_person, writer) -> None:  # type: ignore[no-untyped-def]
    add_person("cv.syt", Role.specialist, "SYT")  # Sở Y tế: a recipient
    add_person("cv.sxd", Role.specialist, "SXD")  # Sở Xây dựng: not a party
    with session_scope(writer) as session:
        syt, province = unit_by_abbr(session, "SYT").id, unit_by_abbr(session, "UBND").id
    clerk = auth_headers(client, "vanthu")
    secret = client.post("/api/documents/incoming", headers=clerk, json={
        "doc_type": "CV", "code": "9/CAT-PV01", "abstract": "V/v bảo đảm an ninh trật tự dịp bầu cử",
        "issuer_name": "Công an tỉnh", "confidentiality": "mat", "recipients": [{"unit_id": syt}]}).json()
    public = client.post("/api/documents/incoming", headers=clerk, json={
        "doc_type": "CV", "code": "10/CAT-PV01", "abstract": "V/v bảo đảm an ninh trật tự dịp lễ hội",
        "issuer_name": "Công an tỉnh"}).json()

    def seen(username: str) -> tuple[set[int], set[int], int]:
        headers = auth_headers(client, username)
        page = client.get("/api/documents", params={"register": "in", "unit_id": province}, headers=headers).json()
        found = client.get("/api/documents", params={"q": "bao dam an ninh trat tu"}, headers=headers).json()
        detail = client.get(f"/api/documents/{secret['id']}", headers=headers).status_code
        return {d["id"] for d in page["items"]}, {d["id"] for d in found["items"]}, detail

    both = {secret["id"], public["id"]}
    assert seen("chutoa") == (both, both, 200)  # the receiving unit (the province)
    assert seen("cv.syt") == (both, both, 200)  # a unit it was sent to
    assert seen("cv.sxd") == ({public["id"]}, {public["id"]}, 404)  # anyone else
    # The page, the file and the edXML export of the document are hidden alike.
    outsider = auth_headers(client, "cv.sxd")
    assert client.get(f"/documents/{secret['id']}", headers=outsider).status_code == 404
    assert client.get(f"/api/documents/{secret['id']}/edxml", headers=outsider).status_code == 404
    assert client.post(f"/api/documents/{secret['id']}/actions/start", json={}, headers=outsider).status_code == 404

    # Directing the document to Sở Xây dựng makes it that unit's to see.
    chair = auth_headers(client, "chutoa")
    client.post(f"/api/documents/{secret['id']}/actions/submit", json={}, headers=clerk)
    sxd = unit_by_abbr_id(writer, "SXD")
    directed = client.post(f"/api/documents/{secret['id']}/actions/direct", headers=chair,
                           json={"direction": {"lead_unit_id": sxd}})
    assert directed.status_code == 200
    assert seen("cv.sxd") == (both, both, 200)


def unit_by_abbr_id(writer, abbr: str) -> int:  # type: ignore[no-untyped-def]
    with session_scope(writer) as session:
        return unit_by_abbr(session, abbr).id
