"""Administrative changes to credentials: unlocking after wrong PINs, revoking."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from core.audit import record
from core.protocols.csc import CSCReason
from signing.errors import CSCError
from signing.models import IssuedCertificate, SigningCredential


def unlock_credential(session: Session, settings: Any, credential_id: str, *, actor: str, ip: str = "") -> None:
    credential = session.get(SigningCredential, credential_id)
    if credential is None:
        raise CSCError(404, "invalid_request", f"no credential {credential_id!r}", reason=CSCReason.unknown_credential)
    was_locked = credential.locked_at is not None
    credential.locked_at = None
    credential.failed_pins = 0
    record(session, actor=actor, action="signing.credential_unlocked", target=f"credential:{credential_id}",
           detail={"was_locked": was_locked}, ip=ip, key=str(settings.secret_key))


def revoke_credential(session: Session, settings: Any, credential_id: str, *, actor: str, ip: str = "") -> None:
    """Disable the credential for good and revoke its certificate (OCSP and the CRL report it at once)."""
    credential = session.get(SigningCredential, credential_id)
    if credential is None:
        raise CSCError(404, "invalid_request", f"no credential {credential_id!r}", reason=CSCReason.unknown_credential)
    now = datetime.now(UTC)
    credential.status = "disabled"
    issued = session.get(IssuedCertificate, credential.cert_serial)
    if issued is not None and issued.revoked_at is None:
        issued.revoked_at = now
    record(session, actor=actor, action="signing.credential_revoked", target=f"credential:{credential_id}",
           detail={"serial": credential.cert_serial}, ip=ip, key=str(settings.secret_key))
