"""Moving a document through the state machine of documents.transitions: role and unit checks, the
step's own work (arrival number, direction, signed file, number and notation, issue), then the
history row, audit entry, bus event, search facets and the edXML status back to the sender."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import User
from core.units import Unit
from documents import attachments, exchange, indexing, numbering
from documents.clock import now, today
from documents.creation import record
from documents.errors import Invalid, NotAllowed, NotFound, WrongState
from documents.filecheck import PDF, CheckedFile
from documents.filestore import FileStore
from documents.models import Document, Recipient, Transition
from documents.schemas import DirectionIn
from documents.scope import Viewer, can_see
from documents.transitions import LEAD, Step, step_from, steps_for
from documents.vocabulary import notation_for

STATE_LABELS = {
    "received": "Đã nhận", "registered": "Đã vào sổ", "submitted": "Đã trình", "directed": "Đã cho ý kiến chỉ đạo",
    "processing": "Đang xử lý", "done": "Hoàn thành", "returned": "Trả lại", "drafted": "Dự thảo",
    "reviewed": "Đã thẩm định", "approved": "Đã duyệt", "signed": "Đã ký", "numbered": "Đã cấp số",
    "issued": "Đã phát hành",
}


def lock(session: Session, document_id: int) -> Document:
    """The document row, locked for the rest of the transaction (two clicks never both apply)."""
    found = session.execute(select(Document).where(Document.id == document_id).with_for_update()
                            .execution_options(populate_existing=True)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"Không có văn bản / no document {document_id}")
    return found


def check_step(session: Session, document: Document, action: str, viewer: Viewer) -> Step:
    candidates = steps_for(document.register, action)
    if not candidates:
        raise Invalid(f"Hành động không hợp lệ / unknown action {action!r} for a "
                      f"{'incoming' if document.register == 'in' else 'outgoing'} document")
    if viewer.role not in {r for s in candidates for r in s.roles}:
        raise NotAllowed(f"Vai trò {viewer.role} không được thực hiện {action!r} / role {viewer.role} may not {action}")
    step = step_from(document.register, document.state, action)
    if step is None:
        state = STATE_LABELS.get(document.state, document.state)
        raise WrongState(f"Không thể {action!r} khi văn bản đang ở trạng thái {state!r} / "
                         f"cannot {action} a document in state {document.state}")
    if viewer.role not in step.roles:
        raise NotAllowed(f"Vai trò {viewer.role} không được thực hiện {action!r} ở trạng thái này / "
                         f"role {viewer.role} may not {action} from {document.state}")
    if step.scope == LEAD:
        allowed = viewer.user_id == document.handler_id or viewer.acts_for(document.lead_unit_id)
    else:
        allowed = viewer.acts_for(document.unit_id)
    if not allowed:
        raise NotAllowed("Văn bản không thuộc đơn vị của bạn / this document is not your unit's to handle")
    return step


class NumberTaken(WrongState):
    """The number the caller expected (printed in a signed file already) went to another document."""


def apply_action(session: Session, document_id: int, action: str, viewer: Viewer, *, comment: str = "",
                 direction: DirectionIn | None = None, signed: tuple[str, bytes] | None = None,
                 signed_check: CheckedFile | None = None, store: FileStore | None = None,
                 expected_number: int | None = None, ip: str = "") -> Transition:
    """`signed_check`: the signed file as checked before the transaction (documents.inspection)."""
    document = lock(session, document_id)
    if not can_see(session, viewer, document):
        raise NotFound(f"Không có văn bản / no document {document_id}")
    step = check_step(session, document, action, viewer)
    before = document.state
    detail = _do(session, document, step, viewer, direction, signed, signed_check, store, expected_number, ip)
    document.state = step.to_state
    document.updated_at = now()
    transition = record(session, document, action=action, from_state=before, to_state=step.to_state,
                        actor=viewer, comment=comment, detail=detail, ip=ip)
    if action in ("number", "sign", "direct", "register_signed"):
        indexing.reindex(session, document)
    else:
        indexing.refresh_facets(session, document)
    if document.register == "in" and step.status_code and document.sender_code:
        exchange.send_status(session, document, step.status_code, viewer, comment, store)
    if action == "issue":
        transition_detail = exchange.deliver(session, document, store)
        detail.update(transition_detail)
        transition.detail = _json(detail)
    session.flush()
    return transition


def _json(detail: dict) -> str:
    return json.dumps(detail, ensure_ascii=False, default=str)


def _do(session: Session, document: Document, step: Step, viewer: Viewer, direction: DirectionIn | None,
        signed: tuple[str, bytes] | None, signed_check: CheckedFile | None, store: FileStore | None,
        expected_number: int | None, ip: str) -> dict:
    action = step.action
    if action == "register":
        year = today().year
        document.year = year
        document.number = numbering.next_number(session, document.unit_id, "in", year)
        return {"number": document.number, "year": year}
    if action == "direct":
        return _direct(session, document, direction)
    if action == "sign":
        return _sign(session, document, viewer, signed, signed_check, store, ip)
    if action == "register_signed":
        return _keep_signed(session, document, viewer, signed, signed_check, store, ip)
    if action == "number":
        unit = session.get(Unit, document.unit_id)
        day = today()
        document.year = day.year
        document.number = numbering.next_number(session, document.unit_id, "out", day.year)
        if expected_number is not None and document.number != expected_number:
            raise NumberTaken(f"Số {expected_number} vừa được cấp cho văn bản khác / number {expected_number} "
                              "was just given to another document")
        document.notation = notation_for(document.doc_type, unit.abbr if unit else "", document.drafting_unit)
        document.code = f"{document.number}/{document.notation}"
        document.doc_date = day
        return {"number": document.number, "code": document.code, "year": day.year}
    if action == "issue":
        document.issued_at = now()
        return {"issued_at": document.issued_at.isoformat()}
    if action == "start" and document.handler_id is None:
        document.handler_id = viewer.user_id
    return {}


def _direct(session: Session, document: Document, direction: DirectionIn | None) -> dict:
    if direction is None:
        raise Invalid("direction: cần đơn vị chủ trì / a direction needs lead_unit_id (and optionally "
                      "coordinating_unit_ids, deadline, handler_id)")
    units = {direction.lead_unit_id, *direction.coordinating_unit_ids}
    found = set(session.execute(select(Unit.id).where(Unit.id.in_(units))).scalars())
    if units - found:
        raise Invalid(f"direction: không có đơn vị / no such unit(s): {sorted(units - found)}")
    if direction.deadline is not None and direction.deadline < today():
        raise Invalid(f"direction.deadline: hạn xử lý {direction.deadline} đã qua / the deadline is in the past")
    if direction.handler_id is not None:
        handler = session.get(User, direction.handler_id)
        if handler is None or not handler.active:
            raise Invalid(f"direction.handler_id: không có người dùng / no active user {direction.handler_id}")
        handler_view = Viewer.of(session, handler)
        if not handler_view.acts_for(direction.lead_unit_id):
            raise Invalid("direction.handler_id: người xử lý phải thuộc đơn vị chủ trì / "
                          "the handler must belong to the lead unit")
    document.lead_unit_id = direction.lead_unit_id
    document.deadline = direction.deadline or document.deadline
    document.handler_id = direction.handler_id
    document.recipients.append(Recipient(unit_id=direction.lead_unit_id, role="lead"))
    for unit_id in direction.coordinating_unit_ids:
        if unit_id != direction.lead_unit_id:
            document.recipients.append(Recipient(unit_id=unit_id, role="coordinate"))
    if direction.handler_id is not None:
        document.recipients.append(Recipient(user_id=direction.handler_id, role="handler"))
    return {"lead_unit_id": direction.lead_unit_id, "coordinating_unit_ids": direction.coordinating_unit_ids,
            "deadline": direction.deadline, "handler_id": direction.handler_id}


def _keep_signed(session: Session, document: Document, viewer: Viewer, signed: tuple[str, bytes] | None,
                 signed_check: CheckedFile | None, store: FileStore | None, ip: str) -> dict:
    if signed is None or store is None:
        raise Invalid("signed_file: cần tệp PDF đã ký / the signed PDF is needed to register a signed document")
    kept = attachments.attach(session, store, document, signed[0], signed[1], kind="signed", viewer=viewer,
                              ip=ip, reindex=False, checked=signed_check)
    if kept.blob.content_type != PDF:
        raise Invalid("signed_file: tệp đã ký phải là PDF / the signed file must be a PDF")
    return {"signed_sha256": kept.sha256, "file": kept.file_name}


def _sign(session: Session, document: Document, viewer: Viewer, signed: tuple[str, bytes] | None,
          signed_check: CheckedFile | None, store: FileStore | None, ip: str) -> dict:
    if signed is not None:
        if store is None:
            raise RuntimeError("a file store is needed to keep the signed file")
        kept = attachments.attach(session, store, document, signed[0], signed[1], kind="signed", viewer=viewer,
                                  ip=ip, reindex=False, checked=signed_check)
    else:
        kept = attachments.signed_file(session, document.id)
    if kept is None:
        raise Invalid("signed_file: cần tệp PDF đã ký / the signed PDF must be uploaded to sign")
    if kept.blob.content_type != PDF:
        raise Invalid("signed_file: tệp đã ký phải là PDF / the signed file must be a PDF")
    document.signer_name = viewer.full_name
    document.signer_position = viewer.position
    return {"signed_sha256": kept.sha256, "file": kept.file_name}
