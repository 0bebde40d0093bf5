"""The one client of the province's signing service (CSC API v1, signing/), for every process that signs
through it with pyHanko's CSCSigner: the web process signing minutes as the logged-in person, the signing
benchmark, the tests. It speaks the service like any third-party client (core.protocols.csc is the wire
contract), so documents and signing's own tools share it without importing each other.

Usage
-----
Open a session on the service, with a token (the web process makes a signing-audience token for the person,
core.login_sessions.delegated_token) or by logging in (HTTP Basic, auth/login)::

    async with connect(base_url, token=token) as service:     # or: connect(base_url) ...
        # service = await service.login(username, password)  # ... then log in
        credential = (await service.credentials())[0]         # valid certificates only, with their subject
        signer = await service.signer(credential.id, pin=pin)  # a pyHanko CSCSigner; PIN (+ OTP), SCAL 2
        pdf_signer = signers.PdfSigner(metadata, signer=signer, timestamper=service.timestamper())
        signed = await pdf_signer.async_sign_pdf(writer)

`CSCService` is a frozen dataclass over the aiohttp session that `connect` opens (`service.http` is free for
other fetches, e.g. OCSP/CRL with pyHanko's AIOHttpFetcherBackend); `login` returns a new one with the token.

Failures
--------
Everything that goes wrong is a `SigningRefused` (a core.errors.DomainError, so the web layer answers it
without a route's help) with

* `reason`: the service's own code (core.protocols.csc.CSCReason: wrong_pin, locked, sad_expired, ...),
  read from the `reason` beside the standard error/error_description, never from the description's text;
  or a `ClientProblem` when the failure is on this side (unreachable, not a CSC answer, ...);
* `kind`: what it means for the person (locked, too_many, unavailable, ...);
* `message`: the service's description (for people), or ours, Vietnamese / English.

A refused credentials/authorize (a wrong PIN...) is raised by the authorisation manager and passes through
pyHanko as it is. pyHanko itself drops the body of a refused credentials/info or signatures/signHash call and
raises a bare SigningError ("Signature request failed", "No signing results available"); `connect` therefore
keeps every error answer of the service on the session (`service.errors`), and `service.errors.refusal()`
turns what was kept into the service's own refusal::

    try:
        signed = await pdf_signer.async_sign_pdf(writer)
    except SigningError as exc:
        refused = service.errors.refusal()
        raise (refused or exc) from exc
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

import aiohttp
from pyhanko.sign.general import SigningError
from pyhanko.sign.signers.csc_signer import (
    CSCAuthorizationInfo,
    CSCAuthorizationManager,
    CSCCredentialInfo,
    CSCServiceSessionInfo,
    CSCSigner,
    fetch_certs_in_csc_credential,
)
from pyhanko.sign.timestamps import HTTPTimeStamper

from core.errors import DomainError, Kind
from core.protocols.csc import CSCReason


class ClientProblem(StrEnum):
    """Why signing failed on this side of the CSC API (the service's own reasons are CSCReason)."""

    service_auth = "service_auth"  # the service did not accept our token: a deployment problem
    unreachable = "unreachable"
    bad_answer = "bad_answer"  # not a CSC answer
    no_credential = "no_credential"  # the person has no credential fit for this signature
    no_root = "no_root"  # the service did not give the province's root certificate
    signing_failed = "signing_failed"


class SigningRefused(DomainError):
    """The signing service refused, or could not be used; `reason` is the service's code or our own."""

    def __init__(self, kind: Kind, reason: CSCReason | ClientProblem, message: str) -> None:
        super().__init__(kind, message)
        self.reason = reason


# What each of the service's reasons means for the person; the others are a request to change (bad_request).
_KIND = {CSCReason.locked: Kind.locked, CSCReason.wrong_pin_locked: Kind.locked,
         CSCReason.wrong_otp_locked: Kind.locked, CSCReason.not_owner: Kind.not_allowed,
         CSCReason.inactive: Kind.not_allowed, CSCReason.rate_limited: Kind.too_many,
         CSCReason.throttled: Kind.too_many, CSCReason.sad_expired: Kind.conflict,
         CSCReason.unavailable: Kind.unavailable}


def refusal_from(status: int, body: dict[str, Any] | None) -> SigningRefused:
    """The service's refusal, by its `reason` code (the description is only passed on, for people)."""
    body = body or {}
    description = str(body.get("error_description") or f"the signing service answered HTTP {status}")
    try:
        reason: CSCReason | ClientProblem = CSCReason(str(body.get("reason")))
    except ValueError:
        reason = ClientProblem.bad_answer
    if reason == CSCReason.invalid_token or (status == 401 and reason == ClientProblem.bad_answer):
        return SigningRefused(Kind.upstream_failed, ClientProblem.service_auth,
                              "Dịch vụ ký số không chấp nhận phiên đăng nhập / the signing service did not accept "
                              f"the session: {description}")
    if isinstance(reason, CSCReason) and (status < 500 or reason == CSCReason.unavailable):
        return SigningRefused(_KIND.get(reason, Kind.bad_request), reason, description)
    return SigningRefused(Kind.upstream_failed, reason, description)


def unreachable(exc: BaseException) -> SigningRefused:
    return SigningRefused(Kind.unavailable, ClientProblem.unreachable,
                          "Không kết nối được dịch vụ ký số / the signing service cannot be reached "
                          f"({exc.__class__.__name__}); try again shortly")


def _not_csc(base_url: str, name: str) -> SigningRefused:
    return SigningRefused(Kind.upstream_failed, ClientProblem.bad_answer,
                          f"Dịch vụ ký số trả lời không đúng chuẩn CSC / the signing service at {base_url} did not "
                          f"answer {name} as a CSC API does")


def _signing_call(url: str) -> bool:
    return "/csc/v1/" in url or url.endswith("/pki/tsa")


@dataclass
class ServiceErrors:
    """The service's error answers on one HTTP session, kept by an aiohttp client middleware (pyHanko's own
    calls drop them): the last refused CSC call, and a connection to the service or its TSA that failed
    (not an OCSP/CRL fetch, which only costs the long-term validation data)."""

    last: dict[str, Any] | None = None
    last_status: int = 0
    unreachable: BaseException | None = None

    async def middleware(self, request: aiohttp.ClientRequest, handler: Any) -> aiohttp.ClientResponse:
        url = str(request.url)
        try:
            response = await handler(request)
        except aiohttp.ClientConnectionError as exc:
            if _signing_call(url):
                self.unreachable = exc
            raise
        if response.status >= 400 and "/csc/v1/" in url:
            try:
                body = json.loads(await response.read())
            except ValueError:
                body = None
            self.last = body if isinstance(body, dict) else None
            self.last_status = response.status
        return response

    def refusal(self) -> SigningRefused | None:
        """The service's refusal seen on this session, or the service out of reach; None if neither (then a
        failure was not the service's: e.g. revocation data could not be fetched)."""
        if self.last is not None or self.last_status:
            return refusal_from(self.last_status, self.last)
        if self.unreachable is not None:
            return unreachable(self.unreachable)
        return None


@dataclass(frozen=True)
class Credential:
    """A credential the caller may use, with a valid certificate."""

    id: str
    subject: str  # the certificate's subject DN, as the service writes it
    label: str
    enabled: bool  # False: the key is disabled or locked; the service says why when asked to sign


@dataclass(frozen=True)
class CSCService:
    """Calls to the service over one aiohttp session (made by `connect`), as the holder of `token`."""

    http: aiohttp.ClientSession
    base_url: str
    token: str = ""
    errors: ServiceErrors = field(default_factory=ServiceErrors)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def call(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        """POST one CSC method; its answer, or SigningRefused."""
        return await self._post(name, body, headers=self.headers)

    async def _post(self, name: str, body: dict[str, Any] | None, **options: Any) -> dict[str, Any]:
        try:
            async with self.http.post(f"{self.base_url}/csc/v1/{name}", json=body, **options) as response:
                data = await response.json(content_type=None)
                if response.status != 200:
                    raise refusal_from(response.status, data if isinstance(data, dict) else None)
                if not isinstance(data, dict):
                    raise _not_csc(self.base_url, name)
                return data
        except aiohttp.ClientError as exc:
            raise unreachable(exc) from exc
        except ValueError as exc:
            raise _not_csc(self.base_url, name) from exc

    async def login(self, username: str, password: str) -> CSCService:
        """auth/login with the person's account (HTTP Basic): the same service, holding the access token."""
        answer = await self._post("auth/login", None, auth=aiohttp.BasicAuth(username, password))
        if not isinstance(answer.get("access_token"), str):
            raise _not_csc(self.base_url, "auth/login")
        return replace(self, token=answer["access_token"])

    async def credentials(self) -> list[Credential]:
        """The caller's credentials with a valid certificate (credentials/list, then credentials/info)."""
        ids = (await self.call("credentials/list", {})).get("credentialIDs", [])
        found = []
        for credential_id in ids:
            info = await self.call("credentials/info", {"credentialID": credential_id, "certificates": "none",
                                                        "certInfo": True, "authInfo": False})
            cert = info.get("cert", {})
            if cert.get("status") != "valid":
                continue
            found.append(Credential(id=str(credential_id), subject=str(cert.get("subjectDN", "")),
                                    label=str(info.get("description", "")),
                                    enabled=info.get("key", {}).get("status") == "enabled"))
        return found

    async def signer(self, credential_id: str, *, pin: str, otp: str | None = None, batch_size: int = 1,
                     description: str | None = None) -> CSCSigner:
        """pyHanko's CSCSigner for the credential (its certificate chain fetched from the service), authorising
        each batch of hashes with the PIN (and OTP); `description` is shown in the service's audit log."""
        session_info = CSCServiceSessionInfo(self.base_url, credential_id, oauth_token=self.token)
        try:
            credential_info = await fetch_certs_in_csc_credential(self.http, session_info)
        except SigningError as exc:
            raise (self.errors.refusal() or _not_csc(self.base_url, "credentials/info")) from exc
        manager = PinAuthorization(session_info, credential_info, service=self, pin=pin, otp=otp,
                                   description=description)
        return CSCSigner(self.http, manager, batch_size=batch_size)

    def timestamper(self) -> HTTPTimeStamper:
        """RFC 3161 timestamps from the service's TSA, as the holder of the token."""
        return HTTPTimeStamper(f"{self.base_url}/pki/tsa", headers=self.headers)

    async def root_pem(self) -> bytes:
        """The province's root certificate, public (/pki/root.pem)."""
        try:
            async with self.http.get(f"{self.base_url}/pki/root.pem") as response:
                if response.status != 200:
                    raise SigningRefused(Kind.upstream_failed, ClientProblem.no_root,
                                         "the signing service did not give the province's root certificate")
                return await response.read()
        except aiohttp.ClientError as exc:
            raise unreachable(exc) from exc


@asynccontextmanager
async def connect(base_url: str, *, token: str = "", timeout_s: float = 60) -> AsyncIterator[CSCService]:
    """A session on the service at `base_url` that keeps the service's error answers (`service.errors`)."""
    errors = ServiceErrors()
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout_s),
                                     middlewares=(errors.middleware,)) as http:
        yield CSCService(http=http, base_url=base_url.rstrip("/"), token=token, errors=errors)


class PinAuthorization(CSCAuthorizationManager):
    """Explicit authorisation (SCAL 2) with the PIN the person typed, for exactly the hashes being signed.
    A refusal is raised as SigningRefused, which pyHanko lets through."""

    def __init__(self, session_info: CSCServiceSessionInfo, credential_info: CSCCredentialInfo, *,
                 service: CSCService, pin: str, otp: str | None = None, description: str | None = None) -> None:
        super().__init__(session_info, credential_info)
        self.service = service
        self.pin = pin
        self.otp = otp
        self.description = description

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        request = self.format_csc_auth_request(pin=self.pin, otp=self.otp, hash_b64s=hash_b64s,
                                               description=self.description)
        return self.parse_csc_auth_response(await self.service.call("credentials/authorize", request))
