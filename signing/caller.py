"""Who is calling the CSC API, what they may use, and the audit entries their calls leave."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.audit import record
from core.people import User
from core.protocols.csc import CSCReason
from signing.errors import CSCError
from signing.models import SigningCredential


@dataclass(frozen=True)
class Caller:
    user_id: int
    username: str
    role: str
    unit_id: int | None
    ip: str
    # The Office (Văn phòng, abbreviation VP) keeps its parent body's seal: its clerks sign for that body.
    office_of: int | None = None

    @classmethod
    def of(cls, user: User, ip: str) -> Caller:
        office_of = user.unit.parent_id if user.unit is not None and user.unit.abbr == "VP" else None
        return cls(user.id, user.username, user.role, user.unit_id, ip, office_of)


def may_use(caller: Caller, credential: SigningCredential) -> bool:
    """A person uses only their own credentials; a unit's credential (its seal) only by the clerks of that
    unit or of its Office."""
    if credential.user_id is not None:
        return credential.user_id == caller.user_id
    return (credential.unit_id is not None and caller.role == "clerk"
            and credential.unit_id in (caller.unit_id, caller.office_of))


def audit(session: Session, settings: Any, caller: Caller | None, action: str, *, credential: str = "",
          ip: str = "", **detail: Any) -> None:
    record(session, actor=caller.username if caller else "anonymous", action=action,
           target=f"credential:{credential}" if credential else "", detail=detail,
           ip=caller.ip if caller else ip, key=str(settings.secret_key))


def usable_credential(session: Session, caller: Caller, credential_id: str, *, lock: bool = False
                      ) -> SigningCredential:
    """The credential if the caller may use it now; otherwise a CSC error (audited by the route).
    `lock` holds the row until commit, so concurrent PIN attempts cannot lose a failure count."""
    credential = session.get(SigningCredential, credential_id, with_for_update=lock) if credential_id else None
    if credential is None:
        raise CSCError(400, "invalid_request", f"Invalid parameter credentialID: {credential_id!r} not found",
                       reason=CSCReason.unknown_credential)
    if not may_use(caller, credential):
        raise CSCError(403, "access_denied",
                       "Chứng thư số này không thuộc về bạn / this credential belongs to someone else",
                       reason=CSCReason.not_owner)
    if credential.status != "active":
        raise CSCError(400, "invalid_request", "the credential is disabled", reason=CSCReason.disabled)
    if credential.locked_at is not None:
        raise CSCError(403, "credential_locked", reason=CSCReason.locked, description=
                       "Chứng thư số đã bị khóa do nhập sai PIN nhiều lần; liên hệ quản trị để mở khóa / "
                       "the credential is locked after too many wrong PINs; ask an administrator to unlock it")
    return credential
