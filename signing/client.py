"""A CSC client built on pyHanko's own CSCSigner, as any third-party client would use the service.

`PinAuthorizationManager` is the application side pyHanko leaves open: it calls
credentials/authorize with the PIN and the hashes about to be signed (SCAL 2).
"""

from __future__ import annotations

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


class PinAuthorizationManager(CSCAuthorizationManager):
    def __init__(self, session_info: CSCServiceSessionInfo, credential_info: CSCCredentialInfo,
                 http: aiohttp.ClientSession, pin: str, otp: str | None = None) -> None:
        super().__init__(session_info, credential_info)
        self.http = http
        self.pin = pin
        self.otp = otp
        # pyHanko only logs a failed commit and then reports "no signing results"; keep the service's
        # answer (e.g. wrong PIN, attempts left, locked) so the application can show it.
        self.last_error: dict[str, object] | None = None

    async def authorize_signature(self, hash_b64s: list[str]) -> CSCAuthorizationInfo:
        request = self.format_csc_auth_request(pin=self.pin, otp=self.otp, hash_b64s=hash_b64s)
        url = self.csc_session_info.endpoint_url("credentials/authorize")
        async with self.http.post(url, json=request, headers=self.auth_headers) as response:
            data = await response.json(content_type=None)
            if response.status != 200:
                self.last_error = {"status": response.status, **data}
                raise SigningError(f"authorize refused ({response.status}): {data.get('error_description')}")
        self.last_error = None
        return self.parse_csc_auth_response(data)


async def login(http: aiohttp.ClientSession, base_url: str, username: str, password: str) -> str:
    async with http.post(f"{base_url}/csc/v1/auth/login", auth=aiohttp.BasicAuth(username, password)) as response:
        data = await response.json(content_type=None)
        if response.status != 200:
            raise SigningError(f"login refused ({response.status}): {data.get('error_description')}")
        return str(data["access_token"])


async def open_signer(http: aiohttp.ClientSession, base_url: str, token: str, credential_id: str, pin: str,
                      *, otp: str | None = None, batch_size: int = 1) -> CSCSigner:
    session_info = CSCServiceSessionInfo(base_url, credential_id, oauth_token=token)
    credential_info = await fetch_certs_in_csc_credential(http, session_info)
    manager = PinAuthorizationManager(session_info, credential_info, http, pin, otp)
    return CSCSigner(http, manager, batch_size=batch_size)


def timestamper(base_url: str, token: str) -> HTTPTimeStamper:
    return HTTPTimeStamper(f"{base_url}/pki/tsa", headers={"Authorization": f"Bearer {token}"})
