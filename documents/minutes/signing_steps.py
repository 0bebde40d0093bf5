"""The order of signatures on minutes and what each one changes: the secretary signs the draft, the
chair co-signs, then a clerk adds the organisation's signature with the seal and the number, which
registers the minutes as an outgoing document.

No database transaction stays open while the signing service works: it writes the same database
(SAD, PIN counters, audit), so holding a write lock here would make it wait on us. The minutes are
read, the revision is signed remotely, then everything is written at once if nothing changed
meanwhile (the version column); otherwise nothing is kept."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session, sessionmaker

from core.audit import record as audit
from core.errors import Kind
from core.people import Role, User
from core.settings import get_settings
from core.units import Unit
from documents import numbering
from documents.clock import local_date
from documents.filestore import store_for
from documents.minutes import archive_seal
from documents.minutes.drafts import MinutesError, content_of, current_pdf, get, source_of
from documents.minutes.models import Minutes, MinutesSignature, MinutesStatus, SignatoryRole
from documents.minutes.registration import recipient_units
from documents.minutes.remote_signing import Signatory, SignedRevision, sign_revision
from documents.outgoing import register_signed
from documents.schemas import RecipientIn
from documents.vocabulary import notation_for
from documents.workflow import NumberTaken

NEXT_ROLE = {MinutesStatus.draft: SignatoryRole.secretary,
             MinutesStatus.secretary_signed: SignatoryRole.chair,
             MinutesStatus.chair_signed: SignatoryRole.organisation}
AFTER = {SignatoryRole.secretary: MinutesStatus.secretary_signed, SignatoryRole.chair: MinutesStatus.chair_signed,
         SignatoryRole.organisation: MinutesStatus.issued}
WAITING_FOR = {
    SignatoryRole.secretary: "Thư ký phải ký trước / the secretary signs first",
    SignatoryRole.chair: "Chờ chủ tọa ký / the chair signs next",
    SignatoryRole.organisation: "Chờ văn thư ký số cơ quan / the clerk adds the organisation's signature next",
}
NUMBER_ATTEMPTS = 3
DOC_TYPE = "BB"  # biên bản


@dataclass(frozen=True)
class SigningCall:
    """What the person's request brings: their PIN (and OTP), and a signing-service token made for them."""

    pin: str
    otp: str | None
    token: str
    base_url: str
    ip: str = ""
    # The SHA-256 of the revision the person saw in the PIN dialog; when given, nothing else is signed.
    expected_sha256: str | None = None


@dataclass(frozen=True)
class SigningPreview:
    """What the PIN dialog tells the person before they authorise: who signs, in which role, which
    revision (its SHA-256) and, for the clerk, the number the minutes are expected to get."""

    signatory: Signatory
    role: SignatoryRole
    pdf_sha256: str
    expected_number: int | None


def roles_of(minutes: Minutes, user: User) -> set[SignatoryRole]:
    roles = set()
    if user.username == minutes.secretary_username:
        roles.add(SignatoryRole.secretary)
    if user.username == minutes.chair_username:
        roles.add(SignatoryRole.chair)
    if Role(user.role) == Role.clerk:
        roles.add(SignatoryRole.organisation)
    return roles


def role_for(minutes: Minutes, user: User) -> SignatoryRole:
    """The signature this person would add now, or the reason they cannot (403/409)."""
    if any(s.user_id == user.id for s in minutes.signatures):
        raise MinutesError(Kind.conflict,
                           "Bạn đã ký biên bản này; mỗi người chỉ ký một lần / you have already signed these "
                           "minutes; each person signs once")
    mine = roles_of(minutes, user)
    if not mine:
        raise MinutesError(Kind.not_allowed,
                           "Bạn không phải thư ký, chủ tọa của cuộc họp hay văn thư / only the meeting's "
                           "secretary and chair, and a clerk for the seal, sign these minutes")
    if minutes.status == MinutesStatus.issued:
        raise MinutesError(Kind.conflict, "Biên bản đã ban hành / the minutes are already issued")
    needed = NEXT_ROLE[MinutesStatus(minutes.status)]
    if needed not in mine:
        raise MinutesError(Kind.conflict, WAITING_FOR[needed])
    return needed


def _signatory(session: Session, minutes: Minutes, user: User, role: SignatoryRole) -> Signatory:
    source = source_of(minutes)
    unit = session.get(Unit, minutes.unit_id)
    position = {SignatoryRole.secretary: source.secretary.position or user.position,
                SignatoryRole.chair: source.chair.position or user.position}.get(role, user.position)
    return Signatory(user.username, user.full_name, position, role.value, unit.name if unit else "")


def preview(session: Session, minutes: Minutes, user: User) -> SigningPreview:
    """Raises MinutesError like `sign` when the person cannot sign now."""
    role = role_for(minutes, user)
    pdf = current_pdf(session, minutes)
    number = None
    if role == SignatoryRole.organisation:
        number = numbering.peek(session, minutes.unit_id, "out", local_date(datetime.now(UTC)).year) + 1
    return SigningPreview(_signatory(session, minutes, user, role), role, hashlib.sha256(pdf).hexdigest(), number)


def _content_text(minutes: Minutes) -> str:
    content = content_of(minutes)
    parts = [content.subject, content.proceedings, content.conclusions,
             *(f"{a.unit}: {a.task}" for a in content.assignments),
             *(f"{s.heading}\n{s.body}" for s in content.sections)]
    return "\n".join(p for p in parts if p)


def sign(read: sessionmaker[Session], write: sessionmaker[Session], *, minutes_id: int, user: User,
         call: SigningCall) -> Minutes:
    """Add `user`'s signature to the minutes; raises MinutesError or core.protocols.csc_client.SigningRefused."""
    with read() as session:
        minutes = get(session, minutes_id)
        role = role_for(minutes, user)
        if minutes.pdf is None and archive_seal.still_sealing(session, minutes.meeting_id):
            raise MinutesError(Kind.conflict, "Bản ghi cuộc họp đang được niêm phong, vui lòng ký sau ít giây / the "
                               "meeting's recording is still being sealed: its hash goes into the minutes before "
                               "the first signature; try again in a few seconds")
        pdf = current_pdf(session, minutes)
        if call.expected_sha256 is not None and hashlib.sha256(pdf).hexdigest() != call.expected_sha256.lower():
            raise MinutesError(Kind.conflict,
                               "Biên bản đã thay đổi kể từ khi bạn mở hộp ký (mã băm khác); không có gì được ký, "
                               "hãy tải lại trang và ký lại / the minutes changed since the signing dialog showed "
                               "their hash; nothing was signed, reload and sign again")
        version = minutes.version
        signatory = _signatory(session, minutes, user, role)
        year = local_date(datetime.now(UTC)).year
        organisation = role == SignatoryRole.organisation
        number = numbering.peek(session, minutes.unit_id, "out", year) + 1 if organisation else None
    for _attempt in range(NUMBER_ATTEMPTS):
        revision = asyncio.run(sign_revision(pdf, base_url=call.base_url, token=call.token, pin=call.pin,
                                             otp=call.otp, signatory=signatory,
                                             number=str(number) if number is not None else None))
        with write() as session:
            saved = _save(session, minutes_id, version, user, role, signatory, revision, number, call.ip)
            if saved is None:
                session.rollback()
                with read() as peek_session:
                    number = numbering.peek(peek_session, minutes.unit_id, "out", year) + 1
                continue
            session.commit()
            return saved
    raise MinutesError(Kind.conflict,
                       "Số văn bản vừa được cấp cho văn bản khác nhiều lần liên tiếp; hãy ký lại / the number "
                       "was taken by other documents several times in a row; sign again")


def _save(session: Session, minutes_id: int, version: int, user: User, role: SignatoryRole, signatory: Signatory,
          revision: SignedRevision, number: int | None, ip: str) -> Minutes | None:
    """Write the signed revision; None when the expected number was taken meanwhile (sign again)."""
    minutes = get(session, minutes_id, lock=True)
    if minutes.version != version:
        raise MinutesError(Kind.conflict,
                           "Biên bản vừa thay đổi trong lúc ký (người khác đã ký hoặc sửa); không có gì được "
                           "lưu, hãy tải lại và ký lại / the minutes changed while signing; nothing was saved")
    digest = hashlib.sha256(revision.pdf).hexdigest()
    if role == SignatoryRole.organisation:
        assert number is not None
        issuer = session.get(Unit, minutes.unit_id)
        assert issuer is not None
        source = source_of(minutes)
        recipients = recipient_units(session, [a.unit_code for a in source.attendance if a.unit_code], issuer.id)
        try:
            document = register_signed(
                session, unit=issuer, number=number, doc_type=DOC_TYPE, abstract=f"Biên bản {minutes.subject}"[:1000],
                content=_content_text(minutes), signer_name=source.chair.full_name,
                signer_position=source.chair.position, recipients=[RecipientIn(unit_id=u) for u in recipients],
                pdf=revision.pdf, file_name=f"bien-ban-{number}-{notation_for(DOC_TYPE, issuer.abbr or 'UBND')}.pdf",
                clerk=user, store=store_for(get_settings()), source="minutes", ip=ip)
        except NumberTaken:
            return None
        minutes.number, minutes.code, minutes.document_id = number, document.code, document.id
    minutes.signatures.append(MinutesSignature(
        role=role.value, user_id=user.id, full_name=signatory.full_name, position=signatory.position,
        credential_id=revision.credential_id, certificate_subject=revision.subject[:500], level=revision.level,
        signed_at=revision.signed_at, pdf_sha256=digest))
    minutes.pdf = revision.pdf
    minutes.status = AFTER[role].value
    minutes.updated_at = datetime.now(UTC)
    session.flush()
    audit(session, actor=user.username, action="minutes.signed", target=f"minutes:{minutes.id}", ip=ip,
          detail={"role": role.value, "credential": revision.credential_id, "level": revision.level,
                  "sha256": digest, "number": minutes.code or None})
    return minutes
