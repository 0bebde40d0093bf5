"""Administration over HTTP: unlocking a credential locked by wrong PINs (admins only)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request

from core.protocols.csc import CSCReason
from signing.caller import Caller
from signing.credential_admin import unlock_credential
from signing.errors import CSCError
from signing.requests_ctx import current_caller

router = APIRouter(prefix="/admin")


@router.post("/credentials/{credential_id}/unlock")
def unlock(credential_id: str, request: Request, caller: Caller = Depends(current_caller)) -> dict[str, str]:
    state = request.app.state
    if caller.role != "admin":
        raise CSCError(403, "access_denied", "chỉ quản trị viên được mở khóa / only an administrator may unlock",
                       reason=CSCReason.not_owner)
    with state.sessions() as session, session.begin():
        unlock_credential(session, state.settings, credential_id, actor=caller.username, ip=caller.ip)
    return {"credentialID": credential_id, "status": "unlocked"}
