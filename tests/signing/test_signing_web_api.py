"""Demo seeding gives every demo person and the province a credential; the web API shows a person
their own credentials and lets only an admin unlock one."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from core.db import engine_for, session_factory, session_scope
from signing.demo import seed
from signing.models import SigningCredential


def test_demo_seed_and_credentials_api(settings, client, auth_headers) -> None:  # type: ignore[no-untyped-def]
    factory = session_factory(engine_for(settings.database_url), write=True)
    with session_scope(factory) as session:
        lines = seed(session, settings)
    assert "9 people, 1 organisation" in lines[-1]  # every demo person but the endpoints
    with session_scope(factory) as session:
        assert "0 people, 0 organisation" in seed(session, settings)[-1]  # idempotent

    mine = client.get("/api/signing/credentials", headers=auth_headers(client, "thuky")).json()["credentials"]
    assert len(mine) == 1 and "Trần Thị Bình" in mine[0]["subject"]
    clerk = client.get("/api/signing/credentials", headers=auth_headers(client, "vanthu")).json()["credentials"]
    assert any("Ủy ban nhân dân tỉnh Nghệ An" in c["subject"] for c in clerk)

    with session_scope(factory) as session:
        credential = session.execute(select(SigningCredential).where(SigningCredential.id == mine[0]["credential_id"])
                                     ).scalar_one()
        credential.locked_at, credential.failed_pins = datetime.now(UTC), 5
    url = f"/api/signing/credentials/{mine[0]['credential_id']}/unlock"
    assert client.post(url, headers=auth_headers(client, "thuky")).status_code == 403
    assert client.post(url, headers=auth_headers(client, "admin")).status_code == 200
    after = client.get("/api/signing/credentials", headers=auth_headers(client, "thuky")).json()["credentials"]
    assert after[0]["locked"] is False and after[0]["failed_pins"] == 0
    assert client.post("/api/signing/credentials/nope/unlock", headers=auth_headers(client, "admin")).status_code == 404
    root = client.get("/api/signing/root.pem", headers=auth_headers(client, "thuky"))
    assert root.status_code == 200 and root.text.startswith("-----BEGIN CERTIFICATE-----")
