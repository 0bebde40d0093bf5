"""credentials/authorize: PIN (and OTP) check, lock after repeated failures, and the SAD it issues.

The service is SCAL 2: a SAD is bound to the exact hashes it was issued for, and each of them can
be signed once before the SAD expires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.protocols.csc import CSCReason
from signing.caller import Caller, audit, usable_credential
from signing.config import SigningConfig
from signing.errors import CSCError, bad_request
from signing.models import SignatureActivation, SigningCredential, aware
from signing.pins import verify_pin, verify_totp

_DIGEST_SIZES = (32, 48, 64)


def decode_hashes(values: list[str]) -> list[bytes]:
    digests = []
    for value in values:
        try:
            digest = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise bad_request(f"hash {value[:20]!r} is not valid base64") from exc
        if len(digest) not in _DIGEST_SIZES:
            raise bad_request(f"hash {value[:20]!r} is {len(digest)} bytes; expected a SHA-256/384/512 digest")
        digests.append(digest)
    return digests


def sad_digest(sad: str) -> str:
    return hashlib.sha256(sad.encode()).hexdigest()


def _refuse_secret(session: Session, settings: Any, config: SigningConfig, caller: Caller,
                   credential: SigningCredential, what: str) -> CSCError:
    """Count a wrong PIN/OTP; the last allowed failure locks the credential."""
    credential.failed_pins += 1
    left = max(0, config.max_pin_attempts - credential.failed_pins)
    if left == 0:
        credential.locked_at = datetime.now(UTC)
        audit(session, settings, caller, "signing.credential_locked", credential=credential.id,
              after_failures=credential.failed_pins)
        return CSCError(403, "credential_locked", reason=CSCReason(f"wrong_{what.lower()}_locked"), description=(
            f"Sai {what} {credential.failed_pins} lần: chứng thư số đã bị khóa / wrong {what} "
            f"{credential.failed_pins} times: the credential is now locked; an administrator must unlock it"))
    return CSCError(400, "invalid_request", reason=CSCReason(f"wrong_{what.lower()}"), description=(
        f"{what} không đúng, còn {left} lần thử / invalid {what}: {left} attempt(s) left"))


def authorize(session: Session, settings: Any, config: SigningConfig, caller: Caller,
              body: dict[str, Any]) -> dict[str, Any]:
    credential_id = str(body.get("credentialID") or "")
    credential = usable_credential(session, caller, credential_id, lock=True)
    hashes = body.get("hash")
    if not isinstance(hashes, list) or not hashes or not all(isinstance(h, str) for h in hashes):
        raise bad_request("SCAL 2: 'hash' must list the base64 hashes to be signed", CSCReason.no_hashes)
    num = body.get("numSignatures", len(hashes))
    if not isinstance(num, int) or num != len(hashes):
        raise bad_request("numSignatures must equal the number of hashes")
    if num > config.multisign:
        raise bad_request(f"at most {config.multisign} signatures per authorisation (multisign)")
    digests = decode_hashes(hashes)
    pin = body.get("PIN")
    if not isinstance(pin, str) or not pin:
        raise bad_request("Missing PIN: this credential requires explicit authorisation with its PIN",
                          CSCReason.missing_pin)
    if not verify_pin(credential.pin_hash, pin, str(settings.secret_key)):
        raise _refuse_secret(session, settings, config, caller, credential, "PIN")
    if credential.totp_secret:
        otp = body.get("OTP")
        if not isinstance(otp, str) or not verify_totp(credential.totp_secret, otp):
            raise _refuse_secret(session, settings, config, caller, credential, "OTP")
    credential.failed_pins = 0
    now = datetime.now(UTC)
    session.execute(delete(SignatureActivation).where(SignatureActivation.expires_at < now - timedelta(hours=1)))
    sad = secrets.token_urlsafe(32)
    session.add(SignatureActivation(
        sad_hash=sad_digest(sad), credential_id=credential.id, user_id=caller.user_id,
        hashes=json.dumps(sorted(d.hex() for d in digests)), remaining=len(digests),
        expires_at=now + timedelta(seconds=config.sad_ttl_seconds), created_at=now, ip=caller.ip,
    ))
    audit(session, settings, caller, "signing.authorized", credential=credential.id, hashes=hashes,
          description=str(body.get("description") or "")[:200])
    return {"SAD": sad, "expiresIn": config.sad_ttl_seconds}


def take_activation(session: Session, caller: Caller, credential: SigningCredential,
                    sad: str, digests: list[bytes], hashes: list[str]) -> SignatureActivation:
    """Check the SAD covers these not-yet-signed hashes and consume them (or refuse, audited by the route)."""
    row = session.execute(
        select(SignatureActivation).where(SignatureActivation.sad_hash == sad_digest(sad)).with_for_update()
    ).scalar_one_or_none() if sad else None

    def refuse(reason: CSCReason, description: str) -> CSCError:
        return CSCError(400, "invalid_request", description, reason=reason)

    if row is None:
        raise refuse(CSCReason.invalid_sad, "Invalid SAD: unknown or already used; authorise again")
    if row.credential_id != credential.id or row.user_id != caller.user_id:
        raise refuse(CSCReason.sad_mismatch, "this SAD was issued for another credential or person")
    if aware(row.expires_at) <= datetime.now(UTC):
        session.delete(row)
        raise refuse(CSCReason.sad_expired, "SAD đã hết hạn / the SAD has expired; authorise again")
    # A multiset: two identical documents signed in one batch give the same hash twice.
    allowed: list[str] = json.loads(row.hashes)
    unauthorised = []
    for value, digest in zip(hashes, digests, strict=True):
        if digest.hex() in allowed:
            allowed.remove(digest.hex())
        else:
            unauthorised.append(value)
    if unauthorised:
        raise refuse(CSCReason.hash_not_authorised,
                     f"Hash not authorised by this SAD (SCAL 2): {', '.join(u[:16] + '…' for u in unauthorised)}")
    row.hashes, row.remaining = json.dumps(allowed), len(allowed)
    if not allowed:
        session.delete(row)  # spent: a replay is then told the SAD is unknown or already used
    return row
