"""Making, reading and editing minutes: the draft from a meeting's record, the secretary's content,
and the PDF a person sees (the rendered draft, or the signed file once someone has signed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record as audit
from core.errors import DomainError, Kind
from core.people import Role, User
from core.units import Unit, UnitKind
from documents.minutes import archive_seal
from documents.minutes.content import MinutesContent, initial_content
from documents.minutes.form_fields import with_fields
from documents.minutes.layout import Issuer, render
from documents.minutes.models import Minutes, MinutesStatus
from documents.minutes.source import MinutesSource

STATUS_LABELS = {
    MinutesStatus.draft: ("Dự thảo", "Draft"),
    MinutesStatus.secretary_signed: ("Thư ký đã ký, chờ chủ tọa", "Signed by the secretary; awaiting the chair"),
    MinutesStatus.chair_signed: ("Chủ tọa đã ký, chờ văn thư đóng dấu, cấp số",
                                 "Signed by the chair; awaiting the clerk's seal and number"),
    MinutesStatus.issued: ("Đã ban hành", "Issued"),
}


class MinutesError(DomainError):
    """Something asked of the minutes that cannot be done (wrong person, wrong state, changed meanwhile)."""


def _now() -> datetime:
    return datetime.now(UTC)


def issuing_unit(session: Session) -> Unit:
    unit = session.execute(select(Unit).where(Unit.kind == UnitKind.province.value).order_by(Unit.id)).scalars().first()
    if unit is None:
        raise MinutesError(Kind.conflict,
                           "Chưa có đơn vị cấp tỉnh / no provincial unit is configured (giaoban demo seed)")
    return unit


def issuer_of(unit: Unit) -> Issuer:
    return Issuer(name=unit.name, abbr=unit.abbr or "UBND")


def create_draft(session: Session, *, source: MinutesSource, actor: User | None, ip: str = "") -> Minutes:
    """The draft for a meeting that has ended; one set of minutes per meeting. A person drafting must be
    the meeting's secretary or chair (or an administrator); `actor=None` is the system on meeting end."""
    if actor is not None and Role(actor.role) != Role.admin and actor.username not in (
            source.secretary.username, source.chair.username):
        raise MinutesError(Kind.not_allowed,
                           "Chỉ thư ký hoặc chủ tọa của cuộc họp lập biên bản / only the meeting's secretary "
                           "or chair drafts its minutes")
    existing = session.execute(select(Minutes).where(Minutes.meeting_id == source.meeting_id)).scalar_one_or_none()
    if existing is not None:
        raise MinutesError(Kind.conflict, f"Cuộc họp đã có biên bản số {existing.id} / the meeting already has minutes "
                           f"(id {existing.id})")
    unit = issuing_unit(session)
    content = initial_content(source)
    now = _now()
    minutes = Minutes(
        meeting_id=source.meeting_id, status=MinutesStatus.draft.value, subject=content.subject,
        source=source.model_dump_json(), content=content.model_dump_json(),
        secretary_username=source.secretary.username, chair_username=source.chair.username, unit_id=unit.id,
        created_by=actor.id if actor else None, created_at=now, updated_at=now,
    )
    session.add(minutes)
    session.flush()
    audit(session, actor=actor.username if actor else "system", action="minutes.drafted",
          target=f"minutes:{minutes.id}", ip=ip, detail={"meeting_id": source.meeting_id,
                                                         "units": len(source.attendance)})
    return minutes


def get(session: Session, minutes_id: int, *, lock: bool = False) -> Minutes:
    query = select(Minutes).where(Minutes.id == minutes_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    found = session.execute(query).scalar_one_or_none()
    if found is None:
        raise MinutesError(Kind.not_found, f"Không có biên bản / no minutes with id {minutes_id}")
    return found


def source_of(minutes: Minutes) -> MinutesSource:
    return MinutesSource.model_validate_json(minutes.source)


def content_of(minutes: Minutes) -> MinutesContent:
    return MinutesContent.model_validate_json(minutes.content)


def may_edit(minutes: Minutes, user: User) -> bool:
    return user.username == minutes.secretary_username or Role(user.role) == Role.admin


def update_content(session: Session, *, minutes: Minutes, content: MinutesContent, actor: User,
                   expected_version: int | None, ip: str = "") -> Minutes:
    if not may_edit(minutes, actor):
        raise MinutesError(Kind.not_allowed,
                           "Chỉ thư ký cuộc họp sửa biên bản / only the meeting's secretary edits the minutes")
    if minutes.status != MinutesStatus.draft:
        raise MinutesError(Kind.conflict,
                           "Biên bản đã được ký, không sửa được nữa / the minutes have been signed and can no "
                           "longer be edited")
    if expected_version is not None and expected_version != minutes.version:
        raise MinutesError(Kind.conflict,
                           f"Biên bản đã được sửa ở nơi khác (phiên bản {minutes.version}); tải lại trang / "
                           "the minutes were changed elsewhere; reload and edit again")
    minutes.content = content.model_dump_json()
    minutes.subject = content.subject
    minutes.updated_at = _now()
    session.flush()
    audit(session, actor=actor.username, action="minutes.edited", target=f"minutes:{minutes.id}", ip=ip,
          detail={"version": minutes.version, "assignments": len(content.assignments)})
    return minutes


def unsigned_pdf(session: Session, minutes: Minutes) -> bytes:
    """The draft as it would be signed: Decree 30 layout plus the empty signature and number fields."""
    unit = session.get(Unit, minutes.unit_id)
    assert unit is not None
    source = source_of(minutes)
    sha = archive_seal.manifest_hash(session, minutes.meeting_id)
    if sha:  # printed before anyone signs, so the signatures cover it
        source = source.model_copy(update={"archive_manifest_sha256": sha})
    rendered = render(source, content_of(minutes), issuer_of(unit), created=minutes.updated_at)
    return with_fields(rendered.pdf, rendered.boxes, modified=minutes.updated_at)


def current_pdf(session: Session, minutes: Minutes) -> bytes:
    return minutes.pdf if minutes.pdf is not None else unsigned_pdf(session, minutes)


def as_json(minutes: Minutes, lang: str = "vi") -> dict[str, Any]:
    label = STATUS_LABELS[MinutesStatus(minutes.status)]
    return {
        "id": minutes.id, "meeting_id": minutes.meeting_id, "status": minutes.status,
        "status_label": label[1] if lang == "en" else label[0], "subject": minutes.subject,
        "version": minutes.version, "secretary": minutes.secretary_username, "chair": minutes.chair_username,
        "number": minutes.number, "code": minutes.code, "document_id": minutes.document_id,
        "source": source_of(minutes).model_dump(mode="json"), "content": content_of(minutes).model_dump(mode="json"),
        "signatures": [{"role": s.role, "full_name": s.full_name, "position": s.position, "level": s.level,
                        "signed_at": s.signed_at.isoformat(), "certificate": s.certificate_subject}
                       for s in minutes.signatures],
        "created_at": minutes.created_at.isoformat(), "updated_at": minutes.updated_at.isoformat(),
    }
