"""REST routes of the minutes: draft from a meeting, read and edit, the PDF, signing (PIN in the body,
as the logged-in person), sending to the attending units, and validating any signed PDF."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Depends, File, Request, Response, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import require_roles, staff
from core.audit import record as audit
from core.bounds import RowId
from core.errors import DomainError, Kind
from core.file_answers import file_answer
from core.i18n import language_of
from core.login_sessions import Audience, delegated_token
from core.people import Role, User
from core.protocols.csc_client import SigningRefused
from core.refusal_answers import refusals
from core.request_db import db, sessionmaker_of
from core.settings import get_settings
from documents.minutes import drafts, readers, record_source, signing_dialog, signing_steps, verification
from documents.minutes.content import MinutesContent
from documents.minutes.drafts import MinutesError
from documents.minutes.models import Minutes, MinutesStatus
from documents.minutes.registration import send_to_units

router = APIRouter()

drafters = require_roles(Role.secretary, Role.chair, Role.admin)
editors = require_roles(Role.secretary, Role.admin)
signatories = require_roles(Role.secretary, Role.chair, Role.clerk)
# What the signing service's refusals become (core.protocols.csc_client): a locked PIN or credential, too
# many attempts, a wrong or missing answer from the service.
SIGNING_SERVICE_REFUSALS = (Kind.locked, Kind.too_many, Kind.upstream_failed, Kind.unavailable)
clerks = require_roles(Role.clerk)
# How long the signing service accepts the token made for one signing.
SIGNING_TOKEN_LIFETIME = timedelta(minutes=10)


class ContentUpdate(MinutesContent):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    version: int | None = Field(default=None, description="The version read; a mismatch answers 409")


class SignBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pin: str = Field(min_length=1, max_length=64, description="The PIN of the person's signing credential")
    otp: str | None = Field(default=None, max_length=16)
    document_sha256: str | None = Field(default=None, pattern="^[0-9a-fA-F]{64}$",
                                        description="The SHA-256 of the revision shown in the signing dialog; "
                                                    "if the minutes changed since, nothing is signed (409)")


def _ip(request: Request) -> str:
    return request.client.host if request.client else ""


@router.post("/api/meetings/{meeting_id}/minutes", status_code=status.HTTP_201_CREATED)
def make_draft(meeting_id: RowId, request: Request, user: User = Depends(drafters),
               session: Session = Depends(db)) -> dict[str, Any]:
    """Draft the minutes of an ended meeting from its record."""
    source = record_source.fetch(session, meeting_id)
    minutes = drafts.create_draft(session, source=source, actor=user, ip=_ip(request))
    return drafts.as_json(minutes, language_of(request))


@router.get("/api/minutes")
def list_minutes(request: Request, user: User = Depends(staff), session: Session = Depends(db)) -> dict[str, Any]:
    rows = session.execute(select(Minutes).order_by(Minutes.id.desc()).limit(200)).scalars().all()
    rows = [m for m in rows if readers.may_read(session, m, user)]
    lang = language_of(request)
    return {"items": [{"id": m.id, "meeting_id": m.meeting_id, "subject": m.subject, "status": m.status,
                       "status_label": drafts.STATUS_LABELS[MinutesStatus(m.status)][1 if lang == "en" else 0],
                       "code": m.code, "updated_at": m.updated_at.isoformat()} for m in rows]}


@router.get("/api/minutes/{minutes_id}")
def read_minutes(minutes_id: RowId, request: Request, user: User = Depends(staff),
                 session: Session = Depends(db)) -> dict[str, Any]:
    minutes = drafts.get(session, minutes_id)
    readers.check_reader(session, minutes, user)
    answer = drafts.as_json(minutes, language_of(request))
    answer["may_edit"] = minutes.status == MinutesStatus.draft and drafts.may_edit(minutes, user)
    try:
        answer["my_signature"] = signing_steps.role_for(minutes, user).value
        answer["may_sign"] = True
    except MinutesError as exc:
        answer["may_sign"], answer["sign_blocked"] = False, exc.message
    return answer


@router.put("/api/minutes/{minutes_id}")
def edit_minutes(minutes_id: RowId, body: ContentUpdate, request: Request, user: User = Depends(editors),
                 session: Session = Depends(db)) -> dict[str, Any]:
    minutes = drafts.get(session, minutes_id, lock=True)
    content = MinutesContent.model_validate(body.model_dump(exclude={"version"}))
    drafts.update_content(session, minutes=minutes, content=content, actor=user, expected_version=body.version,
                          ip=_ip(request))
    return drafts.as_json(minutes, language_of(request))


@router.get("/api/minutes/{minutes_id}/pdf", response_class=Response, responses=file_answer("application/pdf"))
def minutes_pdf(minutes_id: RowId, user: User = Depends(staff), session: Session = Depends(db)) -> Response:
    minutes = drafts.get(session, minutes_id)
    readers.check_reader(session, minutes, user)
    name = f"bien-ban-{minutes.number}.pdf" if minutes.number else f"bien-ban-du-thao-{minutes.id}.pdf"
    # The minutes page shows this PDF in a frame: this answer (only) may be framed by the site's own pages.
    return Response(drafts.current_pdf(session, minutes), media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store",
                             "Content-Security-Policy": "frame-ancestors 'self'", "X-Frame-Options": "SAMEORIGIN"})


def _refused(request: Request, user: User, action: str, target: str, exc: DomainError, **detail: Any) -> None:
    """Refusals are audited in their own transaction: the request's own work is rolled back."""
    reason = getattr(exc, "reason", "") or exc.__class__.__name__
    with sessionmaker_of(request, write=True)() as session, session.begin():
        audit(session, actor=user.username, action=action, target=target, ip=_ip(request),
              detail={"reason": reason, "kind": exc.kind.value, "message": exc.message[:300], **detail})


@router.post("/api/minutes/{minutes_id}/sign", openapi_extra=refusals(*SIGNING_SERVICE_REFUSALS))
def sign_minutes(minutes_id: RowId, body: SignBody, request: Request,
                 user: User = Depends(signatories)) -> dict[str, Any]:
    """Sign as the logged-in person with their PIN: secretary, then chair, then a clerk with the seal."""
    write = sessionmaker_of(request, write=True)
    try:
        # The signing service accepts only tokens of its own audience: one is made for this signing, as this person.
        with delegated_token(write, user, audience=Audience.signing, lifetime=SIGNING_TOKEN_LIFETIME,
                             ip=_ip(request)) as token:
            call = signing_steps.SigningCall(pin=body.pin, otp=body.otp, token=token,
                                             base_url=get_settings().signing_url, ip=_ip(request),
                                             expected_sha256=body.document_sha256)
            minutes = signing_steps.sign(sessionmaker_of(request), write, minutes_id=minutes_id, user=user, call=call)
    except (MinutesError, SigningRefused) as exc:
        _refused(request, user, "minutes.sign.refused", f"minutes:{minutes_id}", exc)
        raise
    return drafts.as_json(minutes, language_of(request))


@router.get("/api/minutes/{minutes_id}/signing", openapi_extra=refusals(Kind.conflict))
def signing_facts(minutes_id: RowId, request: Request, user: User = Depends(signatories),
                  session: Session = Depends(db)) -> dict[str, Any]:
    """What the person would authorise now (for the PIN dialog): role, signatory, document, number and the
    SHA-256 of the revision; 409 with the reason when they cannot sign now."""
    minutes = drafts.get(session, minutes_id)
    readers.check_reader(session, minutes, user)
    return signing_dialog.facts(session, minutes, user, language_of(request))


@router.post("/api/minutes/{minutes_id}/send")
def send_minutes(minutes_id: RowId, request: Request, user: User = Depends(clerks),
                 session: Session = Depends(db)) -> dict[str, Any]:
    """Send issued minutes to the attending units (edXML through the registers' issue step)."""
    minutes = drafts.get(session, minutes_id, lock=True)
    if minutes.status != MinutesStatus.issued or minutes.document_id is None:
        raise MinutesError(Kind.conflict, "Biên bản chưa được đóng dấu, cấp số / the minutes are not issued yet")
    detail = send_to_units(session, minutes.document_id, user, _ip(request))
    return {"id": minutes.id, "document_id": minutes.document_id, "code": minutes.code, **detail}


@router.post("/api/signatures/verify", openapi_extra=refusals(*SIGNING_SERVICE_REFUSALS))
def verify_signatures(request: Request, user: User = Depends(staff),
                      file: UploadFile | None = File(None)) -> dict[str, Any]:
    """Validate every signature of an uploaded PDF against the province's root certificate."""
    data = file.file.read(verification.MAX_BYTES + 1) if file is not None else b""
    name = (file.filename or "") if file is not None else ""
    try:
        report = verification.verify(data, get_settings().signing_url)
    except (verification.VerifyRejected, SigningRefused) as exc:
        _refused(request, user, "signatures.verify.refused", name[:100], exc, size=len(data))
        raise
    with sessionmaker_of(request, write=True)() as session, session.begin():
        audit(session, actor=user.username, action="signatures.verified", target=name[:100], ip=_ip(request),
              detail={"signatures": report["count"], "all_valid": report["all_valid"]})
    return {"file": name, **report}
