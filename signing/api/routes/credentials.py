"""Signing credentials in the web app (/api/signing/...): a person's own credentials, and for admins
the list of all credentials and unlocking one locked by wrong PINs. Signing itself is the CSC API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography import x509
from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles, staff
from core.file_answers import file_answer
from core.people import Role, User
from core.request_db import db
from signing.ca import root_pem
from signing.caller import Caller, may_use
from signing.credential_admin import unlock_credential
from signing.errors import CSCError
from signing.models import SigningCredential

router = APIRouter(prefix="/api/signing", tags=["signing"])


def _describe(credential: SigningCredential) -> dict[str, Any]:
    cert = x509.load_der_x509_certificate(credential.cert_der)
    return {
        "credential_id": credential.id,
        "label": credential.label,
        "key": credential.key_spec,
        "store": credential.store,
        "owner_user_id": credential.user_id,
        "owner_unit_id": credential.unit_id,
        "subject": cert.subject.rfc4514_string(),
        "serial": credential.cert_serial,
        "valid_to": cert.not_valid_after_utc.isoformat(),
        "locked": credential.locked_at is not None,
        "failed_pins": credential.failed_pins,
        "status": credential.status,
        "otp": credential.totp_secret is not None,
    }


@router.get("/credentials")
def my_credentials(request: Request, session: Session = Depends(db), user: User = Depends(staff)) -> dict[str, Any]:
    """The credentials the logged-in person may sign with (their own; a clerk also the unit's seal)."""
    caller = Caller.of(user, request.client.host if request.client else "")
    rows = session.execute(select(SigningCredential).order_by(SigningCredential.created_at)).scalars()
    return {"credentials": [_describe(c) for c in rows if may_use(caller, c)],
            "csc_url": f"{str(request.app.state.settings.signing_url).rstrip('/')}/csc/v1"}


@router.get("/credentials/all")
def all_credentials(session: Session = Depends(db), _admin: User = Depends(require_roles(Role.admin))
                    ) -> dict[str, Any]:
    rows = session.execute(select(SigningCredential).order_by(SigningCredential.created_at)).scalars()
    return {"credentials": [_describe(c) for c in rows]}


@router.post("/credentials/{credential_id}/unlock")
def unlock(credential_id: str, request: Request, session: Session = Depends(db),
           admin: User = Depends(require_roles(Role.admin))) -> dict[str, Any]:
    try:
        unlock_credential(session, request.app.state.settings, credential_id, actor=admin.username,
                          ip=request.client.host if request.client else "")
    except CSCError as exc:
        raise HTTPException(exc.status, exc.description) from exc
    return {"credential_id": credential_id, "unlocked_at": datetime.now().astimezone().isoformat()}


@router.get("/root.pem", response_class=Response, responses=file_answer("application/x-pem-file"))
def provincial_root(request: Request, _user: User = Depends(staff)) -> Response:
    """The provincial demo root certificate, to trust when validating signed documents."""
    return Response(root_pem(request.app.state.settings), media_type="application/x-pem-file",
                    headers={"Content-Disposition": 'attachment; filename="giaoban-root.pem"'})
