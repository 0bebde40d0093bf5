"""A client of the signing service's CSC API v1, acting for the logged-in person.

The web process calls with a signing-audience token made for the person (core.login_sessions), so the
service sees, checks and audits the person, never a service account. Refusals from the service (wrong
PIN, locked credential, expired SAD...) become `SigningRefused` carrying the service's `reason` code
(core.protocols.csc.CSCReason) and its message for people."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import aiohttp
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
)

from core.protocols.csc import CSCReason


class ClientProblem(StrEnum):
    """Why signing failed on this side of the CSC API (the service's own reasons are CSCReason)."""

    service_auth = "service_auth"  # the service did not accept the token made for the person
    unreachable = "unreachable"
    bad_answer = "bad_answer"  # not a CSC answer
    no_credential = "no_credential"
    no_root = "no_root"
    signing_failed = "signing_failed"


# The status our API answers with for each of the service's reasons (others: 400, or 502 for a 5xx).
_STATUS = {CSCReason.locked: 423, CSCReason.wrong_pin_locked: 423, CSCReason.wrong_otp_locked: 423,
           CSCReason.not_owner: 403, CSCReason.rate_limited: 429, CSCReason.sad_expired: 409,
           CSCReason.unavailable: 503}


class SigningRefused(Exception):
    """The signing service refused (or could not be reached); `status` is what our API should answer."""

    def __init__(self, status: int, reason: CSCReason | ClientProblem, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message


def refusal_from(status: int, body: dict[str, Any] | None) -> SigningRefused:
    """The service's refusal, by its `reason` code (never by reading the description, which is for people)."""
    body = body or {}
    description = str(body.get("error_description") or f"the signing service answered HTTP {status}")
    try:
        reason: CSCReason | ClientProblem = CSCReason(str(body.get("reason")))
    except ValueError:
        reason = ClientProblem.bad_answer
    if status == 401 or reason == CSCReason.invalid_token:
        # The token made for the person was not accepted: a deployment problem, not the person's fault.
        return SigningRefused(502, ClientProblem.service_auth, "Dịch vụ ký số không chấp nhận phiên đăng nhập / "
                              f"the signing service did not accept the session: {description}")
    mapped = _STATUS.get(reason, 400) if isinstance(reason, CSCReason) and status < 500 else 502
    if isinstance(reason, CSCReason) and reason == CSCReason.unavailable:
        mapped = 503
    return SigningRefused(mapped, reason, description)


@dataclass
class ErrorBodies:
    """CSC error answers seen on this HTTP session (pyHanko's signHash call drops the body)."""

    last: dict[str, Any] | None = None
    last_status: int = 0
    seen: list[int] = field(default_factory=list)
    # A connection to the signing API or its timestamp authority failed (not an OCSP/CRL fetch).
    unreachable: BaseException | None = None

    async def middleware(self, request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        signing_call = "/csc/v1/" in str(request.url) or str(request.url).endswith("/pki/tsa")
        try:
            response = await handler(request)
        except aiohttp.ClientConnectionError as exc:
            if signing_call:
                self.unreachable = exc
            raise
        if response.status >= 400 and "/csc/v1/" in str(request.url):
            try:
                self.last = json.loads(await response.read())
            except ValueError:
                self.last = None
            self.last_status = response.status
            self.seen.append(response.status)
        return response


class CSCSession:
    """One person's calls to the service over one aiohttp session."""

    def __init__(self, http: aiohttp.ClientSession, base_url: str, token: str, errors: ErrorBodies) -> None:
        self.http = http
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.errors = errors

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self.http.post(f"{self.base_url}/csc/v1/{name}", json=body, headers=self.headers) as r:
                data = await r.json(content_type=None)
                if r.status != 200:
                    raise refusal_from(r.status, data if isinstance(data, dict) else None)
                return dict(data)
        except aiohttp.ClientError as exc:
            raise unreachable(exc) from exc
        except (ValueError, TypeError) as exc:
            raise SigningRefused(502, ClientProblem.bad_answer, "Dịch vụ ký số trả lời không đúng chuẩn CSC / the "
                                 f"signing service at {self.base_url} did not answer {name} as a CSC API does") from exc

    async def credentials(self) -> list[dict[str, Any]]:
        """The caller's credentials with a valid certificate, their subject and whether the key is enabled."""
        ids = (await self.call("credentials/list", {})).get("credentialIDs", [])
        found = []
        for credential_id in ids:
            info = await self.call("credentials/info", {"credentialID": credential_id, "certificates": "none",
                                                        "certInfo": True, "authInfo": False})
            cert = info.get("cert", {})
            if cert.get("status") != "valid":
                continue
            found.append({"id": credential_id, "subject": str(cert.get("subjectDN", "")),
                          "label": str(info.get("description", "")),
                          "enabled": info.get("key", {}).get("status") == "enabled"})
        return found

    async def choose(self, organisation: bool, username: str) -> dict[str, Any]:
        """The person's own credential, or for the organisation's signature the unit's (no user id). An enabled
        one first; a locked one is still chosen so that the service itself answers why it cannot sign."""
        matching = []
        for credential in await self.credentials():
            subject = credential["subject"]
            has_uid = "UID=" in subject or "userid=" in subject.lower()
            personal = f"UID={username}," in subject + "," or f"userid={username}," in subject.lower() + ","
            if (organisation and not has_uid) or (not organisation and personal):
                matching.append(credential)
        if matching:
            return sorted(matching, key=lambda c: not c["enabled"])[0]
        what = ("chứng thư số của cơ quan / the organisation's certificate" if organisation
                else "chứng thư số cá nhân / a personal signing certificate")
        raise SigningRefused(409, ClientProblem.no_credential, f"Không tìm thấy {what} usable by {username} on "
                             "the signing service; ask an administrator to enroll one (giaoban signing enroll)")

    async def root_pem(self) -> bytes:
        try:
            async with self.http.get(f"{self.base_url}/pki/root.pem") as r:
                if r.status != 200:
                    raise SigningRefused(502, ClientProblem.no_root,
                                         "the signing service did not give its root certificate")
                return await r.read()
        except aiohttp.ClientError as exc:
            raise unreachable(exc) from exc


def unreachable(exc: Exception) -> SigningRefused:
    return SigningRefused(503, ClientProblem.unreachable, "Không kết nối được dịch vụ ký số / the signing service "
                          f"cannot be reached ({exc.__class__.__name__}); try again shortly")


class PinAuthorization(CSCAuthorizationManager):
    """Explicit authorisation with the PIN the person typed, for exactly the hashes being signed (SCAL 2)."""

    def __init__(self, session_info: CSCServiceSessionInfo, credential_info: CSCCredentialInfo,
                 csc: CSCSession, pin: str, otp: str | None) -> None:
        super().__init__(session_info, credential_info)
        self.csc = csc
        self.pin = pin
        self.otp = otp

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        request = self.format_csc_auth_request(pin=self.pin, otp=self.otp, hash_b64s=hash_b64s,
                                               description="Ký biên bản cuộc họp")
        return self.parse_csc_auth_response(await self.csc.call("credentials/authorize", request))
