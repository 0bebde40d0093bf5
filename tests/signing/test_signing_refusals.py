"""What the CSC API refuses, with CSC-style 4xx errors and an audit entry for each refusal."""

from __future__ import annotations

import base64
import json
import os
import time

import httpx
import pytest
from sqlalchemy import delete, select

from core.audit import AuditEntry, verify
from core.db import engine_for, session_factory, session_scope
from core.login_throttle import LoginFailure, LoginLock
from signing.app import create_app
from signing.config import SigningConfig
from signing.pins import totp
from tests.conftest import DEMO_PASSWORD
from tests.signing.conftest import PIN, SAD_TTL, SigningEnv, serve

SHA256 = "2.16.840.1.101.3.4.2.1"
SHA256_RSA = "1.2.840.113549.1.1.11"


def _hash() -> str:
    return base64.b64encode(os.urandom(32)).decode()


@pytest.fixture(scope="module")
def csc(signing_env: SigningEnv):  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=f"{signing_env.base_url}/csc/v1", timeout=30) as client:
        yield client


def token(csc: httpx.Client, username: str) -> dict[str, str]:
    response = csc.post("auth/login", auth=(username, DEMO_PASSWORD))
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def authorize(csc: httpx.Client, headers: dict[str, str], credential: str, hashes: list[str],
              pin: str = PIN) -> httpx.Response:
    return csc.post("credentials/authorize", headers=headers, json={
        "credentialID": credential, "numSignatures": len(hashes), "hash": hashes, "PIN": pin})


def sign(csc: httpx.Client, headers: dict[str, str], credential: str, sad: str, hashes: list[str]) -> httpx.Response:
    return csc.post("signatures/signHash", headers=headers, json={
        "credentialID": credential, "SAD": sad, "hash": hashes, "hashAlgo": SHA256, "signAlgo": SHA256_RSA})


def audit_entries(env: SigningEnv, action: str) -> list[AuditEntry]:
    with session_factory(engine_for(env.settings.database_url))() as session:
        return list(session.execute(select(AuditEntry).where(AuditEntry.action == action)
                                    .order_by(AuditEntry.seq)).scalars())


def test_login_needs_a_valid_account(csc: httpx.Client) -> None:
    assert csc.post("info").json()["specs"] == "1.0.4.0"
    refused = csc.post("auth/login", auth=("thuky", "wrong-password"))
    assert refused.status_code == 401
    assert refused.json()["error"] == "authentication_error"
    assert csc.post("credentials/list", json={}).status_code == 401
    no_token = csc.post("credentials/list", headers={"Authorization": "Bearer forged"}, json={})
    assert no_token.status_code == 401 and no_token.json()["error"] == "invalid_token"


def test_list_and_info_show_only_own_credentials(csc: httpx.Client, signing_env: SigningEnv) -> None:
    creds = signing_env.credentials
    thuky = token(csc, "thuky")
    listed = csc.post("credentials/list", headers=thuky, json={}).json()["credentialIDs"]
    assert set(listed) == {creds["thuky"], creds["thuky_hsm"]}
    info = csc.post("credentials/info", headers=thuky,
                    json={"credentialID": creds["thuky"], "certificates": "chain", "certInfo": True}).json()
    assert info["SCAL"] == "2" and info["key"]["algo"][0] == SHA256_RSA
    assert len(info["cert"]["certificates"]) == 3 and "Trần Thị Bình" in info["cert"]["subjectDN"]
    other = csc.post("credentials/info", headers=thuky, json={"credentialID": creds["chutoa"]})
    assert other.status_code == 403 and other.json()["error"] == "access_denied"
    # The organisation's seal is kept by the Office's clerk, not by the secretary.
    assert creds["organisation"] in csc.post("credentials/list", headers=token(csc, "vanthu"),
                                             json={}).json()["credentialIDs"]
    assert creds["organisation"] not in listed


def test_sign_hash_happy_path_and_batch_of_two(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "thuky"), signing_env.credentials["thuky"]
    hashes = [_hash(), _hash()]
    granted = authorize(csc, headers, cred, hashes)
    assert granted.status_code == 200, granted.text
    assert granted.json()["expiresIn"] == SAD_TTL
    sad = granted.json()["SAD"]
    signed = sign(csc, headers, cred, sad, hashes)
    assert signed.status_code == 200, signed.text
    assert len(signed.json()["signatures"]) == 2
    # Each authorised hash can be signed once: the SAD is spent.
    again = sign(csc, headers, cred, sad, hashes[:1])
    assert again.status_code == 400 and "already used" in again.json()["error_description"]
    logged = {json.loads(e.detail)["hash"] for e in audit_entries(signing_env, "signing.signature")}
    assert set(hashes) <= logged
    entry = next(e for e in audit_entries(signing_env, "signing.signature")
                 if json.loads(e.detail)["hash"] == hashes[0])
    assert entry.actor == "thuky" and entry.target == f"credential:{cred}" and entry.ip == "127.0.0.1"


def test_the_same_hash_twice_in_a_batch_is_signed_twice(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "thuky"), signing_env.credentials["thuky"]
    digest = _hash()
    sad = authorize(csc, headers, cred, [digest, digest]).json()["SAD"]
    assert len(sign(csc, headers, cred, sad, [digest]).json()["signatures"]) == 1
    assert len(sign(csc, headers, cred, sad, [digest]).json()["signatures"]) == 1
    assert sign(csc, headers, cred, sad, [digest]).status_code == 400


def test_wrong_pin_is_refused_and_counted(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "thuky"), signing_env.credentials["thuky"]
    wrong = authorize(csc, headers, cred, [_hash()], pin="000000")
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_request" and "4 attempt" in wrong.json()["error_description"]
    refusal = audit_entries(signing_env, "signing.authorize.refused")[-1]
    assert refusal.actor == "thuky" and json.loads(refusal.detail)["reason"] == "wrong_pin"
    # A correct PIN resets the counter.
    assert authorize(csc, headers, cred, [_hash()]).status_code == 200


def test_five_wrong_pins_lock_until_an_admin_unlocks(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "chuyenvien"), signing_env.credentials["chuyenvien"]
    codes = [authorize(csc, headers, cred, [_hash()], pin="999999").status_code for _ in range(5)]
    assert codes == [400, 400, 400, 400, 403]
    locked = authorize(csc, headers, cred, [_hash()])
    assert locked.status_code == 403 and locked.json()["error"] == "credential_locked"
    assert audit_entries(signing_env, "signing.credential_locked")[-1].target == f"credential:{cred}"
    unlock_url = f"{signing_env.base_url}/admin/credentials/{cred}/unlock"
    assert httpx.post(unlock_url, headers=headers).status_code == 403
    assert httpx.post(unlock_url, headers=token(csc, "admin")).status_code == 200
    assert authorize(csc, headers, cred, [_hash()]).status_code == 200


def test_hash_not_authorised_is_refused(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "thuky"), signing_env.credentials["thuky"]
    authorised, other = _hash(), _hash()
    sad = authorize(csc, headers, cred, [authorised]).json()["SAD"]
    refused = sign(csc, headers, cred, sad, [other])
    assert refused.status_code == 400 and "not authorised" in refused.json()["error_description"]
    detail = json.loads(audit_entries(signing_env, "signing.sign.refused")[-1].detail)
    assert detail["reason"] == "hash_not_authorised" and detail["hashes"] == [other]
    # The refusal did not spend the SAD: the authorised hash still signs.
    assert sign(csc, headers, cred, sad, [authorised]).status_code == 200


def test_expired_sad_is_refused(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "thuky"), signing_env.credentials["thuky"]
    digest = _hash()
    sad = authorize(csc, headers, cred, [digest]).json()["SAD"]
    time.sleep(SAD_TTL + 0.5)
    refused = sign(csc, headers, cred, sad, [digest])
    assert refused.status_code == 400 and "expired" in refused.json()["error_description"]
    assert json.loads(audit_entries(signing_env, "signing.sign.refused")[-1].detail)["reason"] == "sad_expired"


def test_someone_elses_credential_is_refused(csc: httpx.Client, signing_env: SigningEnv) -> None:
    chutoa, thuky = token(csc, "chutoa"), token(csc, "thuky")
    cred = signing_env.credentials["thuky"]
    assert authorize(csc, chutoa, cred, [_hash()]).status_code == 403
    digest = _hash()
    sad = authorize(csc, thuky, cred, [digest]).json()["SAD"]
    stolen = sign(csc, chutoa, cred, sad, [digest])
    assert stolen.status_code == 403 and stolen.json()["error"] == "access_denied"
    refusal = audit_entries(signing_env, "signing.sign.refused")[-1]
    assert refusal.actor == "chutoa" and json.loads(refusal.detail)["reason"] == "not_owner"


def test_malformed_requests_get_400_not_500(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "thuky"), signing_env.credentials["thuky"]
    bad = [
        {"credentialID": cred, "hash": ["not base64!"], "PIN": PIN, "numSignatures": 1},
        {"credentialID": cred, "hash": [], "PIN": PIN},
        {"credentialID": cred, "hash": [_hash()], "numSignatures": 1},
        {"credentialID": cred, "hash": [_hash()] * 11, "numSignatures": 11, "PIN": PIN},
    ]
    for body in bad:
        response = csc.post("credentials/authorize", headers=headers, json=body)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request", body
    not_json = csc.post("signatures/signHash", headers=headers, content=b"[1,2")
    assert not_json.status_code == 400
    too_many = csc.post("signatures/signHash", headers=headers, json={
        "credentialID": cred, "SAD": "x", "hash": [_hash()] * 11, "signAlgo": SHA256_RSA})
    assert too_many.status_code == 400 and "multisign" in too_many.json()["error_description"]
    huge = csc.post("signatures/signHash", headers=headers, content=b"{" + b" " * (1 << 21) + b"}")
    assert huge.status_code == 413
    wrong_algo = csc.post("signatures/signHash", headers=headers, json={
        "credentialID": cred, "SAD": "x", "hash": [_hash()], "signAlgo": "1.2.840.10045.4.3.2"})
    assert wrong_algo.status_code == 400 and "does not fit" in wrong_algo.json()["error_description"]


def test_timestamp_endpoint(csc: httpx.Client) -> None:
    from asn1crypto import cms

    response = csc.post("signatures/timestamp", headers=token(csc, "thuky"),
                        json={"hash": _hash(), "hashAlgo": SHA256, "nonce": "1f2e"})
    assert response.status_code == 200, response.text
    token_info = cms.ContentInfo.load(base64.b64decode(response.json()["timestamp"]))
    tst = token_info["content"]["encap_content_info"]["content"].parsed
    assert tst["nonce"].native == 0x1F2E


def test_otp_is_required_when_the_credential_has_one(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers, cred = token(csc, "vanhanh"), signing_env.credentials["vanhanh_otp"]
    info = csc.post("credentials/info", headers=headers, json={"credentialID": cred}).json()
    assert info["OTP"]["presence"] == "true"
    missing = authorize(csc, headers, cred, [_hash()])
    assert missing.status_code == 400 and "OTP" in missing.json()["error_description"]
    granted = csc.post("credentials/authorize", headers=headers, json={
        "credentialID": cred, "numSignatures": 1, "hash": [_hash()], "PIN": PIN,
        "OTP": totp(signing_env.otp_secret)})
    assert granted.status_code == 200, granted.text


def test_rate_limits_answer_429(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers = token(csc, "chutoa")
    settings = signing_env.settings.model_copy(update={"throttle_failures": 2})

    def forget_wrong_logins() -> None:  # every test here logs in from the same address
        with session_scope(session_factory(engine_for(settings.database_url), write=True)) as session:
            session.execute(delete(LoginLock))
            session.execute(delete(LoginFailure))

    with serve(create_app(settings, SigningConfig(requests_per_minute=3))) as base_url, \
            httpx.Client(base_url=f"{base_url}/csc/v1") as client:
        forget_wrong_logins()
        try:
            statuses = [client.post("auth/login", auth=("thuky", "wrong")).status_code for _ in range(3)]
            assert statuses == [401, 401, 429]
            # Even the right password waits once the address has failed too often.
            assert client.post("auth/login", auth=("thuky", DEMO_PASSWORD)).status_code == 429
        finally:
            forget_wrong_logins()
        codes = [client.post("credentials/list", headers=headers, json={}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.post("credentials/list", headers=headers, json={})
        assert limited.json()["error"] == "rate_limited" and int(limited.headers["retry-after"]) >= 1


def test_audit_chain_stays_intact_and_tokens_can_be_revoked(csc: httpx.Client, signing_env: SigningEnv) -> None:
    headers = token(csc, "chutoa")
    assert csc.post("auth/revoke", headers=headers, json={}).status_code == 204
    assert csc.post("credentials/list", headers=headers, json={}).status_code == 401
    with session_factory(engine_for(signing_env.settings.database_url))() as session:
        verdict = verify(session, key=signing_env.settings.secret_key)
    assert verdict.ok and verdict.entries > 20, verdict.problem


def test_every_service_route_but_the_public_ones_needs_a_token(signing_env: SigningEnv) -> None:
    from fastapi.routing import APIRoute, iter_route_contexts

    public = {"/health", "/csc/v1/info", "/pki/root.cer", "/pki/root.pem", "/pki/issuing.cer", "/pki/root.crl",
              "/pki/issuing.crl", "/pki/ocsp", "/pki/ocsp/{encoded:path}"}
    app = create_app(signing_env.settings, signing_env.config)
    checked = 0
    for route in iter_route_contexts(app.routes):
        if not isinstance(route.original_route, APIRoute) or route.path in public:
            continue
        path = route.path.replace("{credential_id}", "x")
        for method in route.methods:
            response = httpx.request(method, signing_env.base_url + path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert "error" in response.json()
            checked += 1
    assert checked >= 9


def test_the_signing_login_is_the_web_login_and_tokens_keep_their_audience(csc: httpx.Client,
                                                                          signing_env: SigningEnv) -> None:
    from fastapi.testclient import TestClient

    from web.app import create_app as create_web_app

    assert csc.post("auth/login", auth=("vanhanh", "wrong-password")).status_code == 401
    failed = audit_entries(signing_env, "auth.failed")[-1]
    assert failed.actor == "vanhanh" and json.loads(failed.detail)["door"] == "signing"
    web = TestClient(create_web_app(signing_env.settings))
    web_login = web.post("/api/auth/login", json={"username": "vanhanh", "password": DEMO_PASSWORD}).json()
    assert web_login["notice"]["failed_logins"] >= 1  # the wrong password at the signing service, told here
    signing_token = token(csc, "vanhanh")
    assert json.loads(audit_entries(signing_env, "auth.login")[-1].detail)["door"] == "signing"
    assert web.get("/api/auth/me", headers=signing_token).status_code == 401
    web_token = {"Authorization": f"Bearer {web_login['access_token']}"}
    assert web.get("/api/auth/me", headers=web_token).status_code == 200
    assert csc.post("credentials/list", headers=web_token, json={}).status_code == 401
    assert csc.post("credentials/list", headers=signing_token, json={}).status_code == 200
