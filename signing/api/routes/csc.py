"""The CSC API v1 endpoints (Cloud Signature Consortium API 1.0.4), mounted at /csc/v1/."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta
from typing import Any

from asn1crypto import algos
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import APIRouter, Body, Depends, Request, Response
from sqlalchemy import select

from core.authentication import Door, LoginRefused, Refusal, authenticate
from core.login_sessions import Audience, close_session, user_for_token
from core.login_throttle import LoginPolicy
from core.protocols.csc import CSCReason
from signing import algorithms
from signing.authorization import authorize
from signing.caller import Caller, audit, may_use
from signing.errors import CSCError, bad_request
from signing.keystore import key_kind
from signing.models import IssuedCertificate, SigningCredential
from signing.requests_ctx import audited_transaction, client_ip, current_caller
from signing.signatures import sign_hash
from signing.tsa import TimestampRequestError, timestamp_token

router = APIRouter(prefix="/csc/v1")

JsonBody = dict[str, Any]


@router.api_route("/info", methods=["GET", "POST"])
def info() -> JsonBody:
    return {
        "specs": "1.0.4.0",
        "name": "giaoban — dịch vụ ký số tỉnh Nghệ An",
        "logo": "",
        "region": "VN",
        "lang": "vi-VN",
        "description": "Remote signing service (CSC API v1) of the provincial demo CA",
        "authType": ["basic"],
        "methods": ["auth/login", "auth/revoke", "credentials/list", "credentials/info", "credentials/authorize",
                    "signatures/signHash", "signatures/timestamp"],
    }


def _basic_credentials(request: Request) -> tuple[str, str]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        raise CSCError(401, "invalid_request", "auth/login needs HTTP Basic authentication with your giaoban "
                       "username and password", headers={"WWW-Authenticate": 'Basic realm="giaoban"'})
    try:
        username, _, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise bad_request("malformed Basic authorization header") from exc
    return username, password


@router.post("/auth/login")
def login(request: Request) -> JsonBody:
    """HTTP Basic with the person's giaoban account → a bearer access token for this service only. The check,
    throttling, locks and audit entries are the web login's own (core.authentication)."""
    state = request.app.state
    settings = state.settings
    username, password = _basic_credentials(request)
    try:
        ok = authenticate(state.read_sessions, state.sessions, username=username, password=password,
                          address=client_ip(request), door=Door.signing, audience=Audience.signing,
                          lifetime=timedelta(seconds=state.config.token_ttl_seconds),
                          policy=LoginPolicy.of(settings), key=settings.secret_key)
    except LoginRefused as refused:
        if refused.reason == Refusal.throttled:
            raise CSCError(429, "rate_limited", "quá nhiều lần đăng nhập sai từ địa chỉ này / too many failed logins "
                           "from this address; wait and retry", reason=CSCReason(refused.reason.value),
                           headers={"Retry-After": str(refused.retry_after_s)}) from refused
        if refused.reason == Refusal.inactive:
            raise CSCError(403, "access_denied", "tài khoản đã bị vô hiệu hóa / the account is disabled",
                           reason=CSCReason(refused.reason.value)) from refused
        raise CSCError(401, "authentication_error", "sai tên đăng nhập hoặc mật khẩu / invalid username or "
                       "password", reason=CSCReason(refused.reason.value),
                       headers={"WWW-Authenticate": 'Basic realm="giaoban"'}) from refused
    return {"access_token": ok.token, "token_type": "Bearer",
            "expires_in": int((ok.expires - datetime.now(UTC)).total_seconds())}


@router.post("/auth/revoke")
def revoke_token(request: Request, body: JsonBody | None = Body(None),
                 caller: Caller = Depends(current_caller)) -> Response:
    """End the access token used for this call (or the one named in `token`, if it is the caller's)."""
    header = request.headers.get("authorization", "")
    token = str((body or {}).get("token") or header[7:].strip())
    with request.app.state.sessions() as session, session.begin():
        owner = user_for_token(session, token, audience=Audience.signing)
        if owner is None or owner.id != caller.user_id:
            raise bad_request("token is not one of your access tokens")
        close_session(session, token)
        audit(session, request.app.state.settings, caller, "signing.logout")
    return Response(status_code=204)


@router.post("/credentials/list")
def credentials_list(request: Request, body: JsonBody | None = Body(None),
                     caller: Caller = Depends(current_caller)) -> JsonBody:
    with request.app.state.read_sessions() as session:
        rows = session.execute(select(SigningCredential).order_by(SigningCredential.created_at)).scalars()
        ids = [c.id for c in rows if may_use(caller, c) and c.status == "active"]
    limit = (body or {}).get("maxResults")
    if isinstance(limit, int) and limit > 0:
        ids = ids[:limit]
    return {"credentialIDs": ids}


def _key_description(cert: x509.Certificate, credential: SigningCredential) -> JsonBody:
    public = cert.public_key()
    kind = key_kind(credential.key_spec)
    key: JsonBody = {
        "status": "disabled" if credential.locked_at or credential.status != "active" else "enabled",
        "algo": algorithms.algorithms_for(kind),
    }
    if isinstance(public, rsa.RSAPublicKey):
        key["len"] = public.key_size
    elif isinstance(public, ec.EllipticCurvePublicKey):
        key["len"] = public.curve.key_size
        key["curve"] = {"secp256r1": "1.2.840.10045.3.1.7", "secp384r1": "1.3.132.0.34"}.get(public.curve.name, "")
    return key


@router.post("/credentials/info")
def credentials_info(request: Request, body: JsonBody = Body(...),
                     caller: Caller = Depends(current_caller)) -> JsonBody:
    state = request.app.state
    with audited_transaction(request, caller, "info", body) as session:
        credential_id = str(body.get("credentialID") or "")
        credential = session.get(SigningCredential, credential_id) if credential_id else None
        if credential is None:
            raise CSCError(400, "invalid_request", f"Invalid parameter credentialID: {credential_id!r} not found",
                           reason=CSCReason.unknown_credential)
        if not may_use(caller, credential):
            raise CSCError(403, "access_denied", "this credential belongs to someone else", reason=CSCReason.not_owner)
        issued = session.get(IssuedCertificate, credential.cert_serial)
        revoked = issued is not None and issued.revoked_at is not None
    cert = x509.load_der_x509_certificate(credential.cert_der)
    mode = body.get("certificates", "single")
    if mode not in ("none", "single", "chain"):
        raise bad_request("certificates must be none, single or chain")
    chain = [cert] + (state.ca.chain if mode == "chain" else [])
    now = datetime.now(UTC)
    cert_status = "revoked" if revoked else ("expired" if cert.not_valid_after_utc < now else "valid")
    cert_json: JsonBody = {"status": cert_status}
    if mode != "none":
        cert_json["certificates"] = [
            base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode() for c in chain
        ]
    if body.get("certInfo"):
        cert_json.update({
            "issuerDN": cert.issuer.rfc4514_string(), "subjectDN": cert.subject.rfc4514_string(),
            "serialNumber": format(cert.serial_number, "x"),
            "validFrom": cert.not_valid_before_utc.strftime("%Y%m%d%H%M%SZ"),
            "validTo": cert.not_valid_after_utc.strftime("%Y%m%d%H%M%SZ"),
        })
    result: JsonBody = {
        "description": credential.label,
        "key": _key_description(cert, credential),
        "cert": cert_json,
        "authMode": "explicit",
        "SCAL": "2",
        "multisign": state.config.multisign,
        "lang": "vi-VN",
    }
    if body.get("authInfo", True):
        result["PIN"] = {"presence": "true", "format": "A", "label": "PIN",
                         "description": "Mã PIN của chứng thư số / the credential's PIN"}
        result["OTP"] = {"presence": "true" if credential.totp_secret else "false", "type": "offline",
                         "format": "N", "label": "OTP", "description": "TOTP (RFC 6238)", "ID": "totp",
                         "provider": "giaoban"}
    return result


@router.post("/credentials/authorize")
def credentials_authorize(request: Request, body: JsonBody = Body(...),
                          caller: Caller = Depends(current_caller)) -> JsonBody:
    state = request.app.state
    with audited_transaction(request, caller, "authorize", body) as session:
        return authorize(session, state.settings, state.config, caller, body)


@router.post("/signatures/signHash")
def signatures_sign_hash(request: Request, body: JsonBody = Body(...),
                         caller: Caller = Depends(current_caller)) -> JsonBody:
    state = request.app.state
    with audited_transaction(request, caller, "sign", body) as session:
        return sign_hash(session, state.settings, state.stores, caller, body, state.config.multisign)


@router.post("/signatures/timestamp")
def signatures_timestamp(request: Request, body: JsonBody = Body(...),
                         caller: Caller = Depends(current_caller)) -> JsonBody:
    state = request.app.state
    with audited_transaction(request, caller, "timestamp", body) as session:
        value, algo_oid = body.get("hash"), body.get("hashAlgo")
        if not isinstance(value, str) or not isinstance(algo_oid, str):
            raise bad_request("hash (base64) and hashAlgo (OID) are required")
        if algo_oid not in algorithms.DIGESTS:
            raise bad_request("hashAlgo must be SHA-256, SHA-384 or SHA-512")
        try:
            digest = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise bad_request("hash is not valid base64") from exc
        nonce_hex = body.get("nonce")
        try:
            nonce = int(nonce_hex, 16) if isinstance(nonce_hex, str) and nonce_hex else None
        except ValueError as exc:
            raise bad_request("nonce must be hexadecimal") from exc
        try:
            token = timestamp_token(state.ca, algos.DigestAlgorithmId(algo_oid).native, digest, nonce)
        except TimestampRequestError as exc:
            raise bad_request(str(exc)) from exc
        audit(session, state.settings, caller, "signing.timestamp", hash=value, hash_algo=algo_oid)
        return {"timestamp": base64.b64encode(token.dump()).decode()}

