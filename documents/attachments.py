"""Attaching files to documents: checked (type, size, name), stored by content, recorded, and the
text of a PDF added to the document's search row."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from documents import indexing
from documents.clock import now
from documents.errors import Invalid, NotAllowed, WrongState
from documents.filecheck import CheckedFile, check_file
from documents.filestore import FileStore
from documents.models import Attachment, Blob, Document
from documents.scope import Viewer
from documents.transitions import FINAL

KINDS = ("main", "attachment", "signed")


def add_file(session: Session, store: FileStore, document: Document, *, name: str, data: bytes, kind: str,
             viewer: Viewer, ip: str = "", checked: CheckedFile | None = None) -> Attachment:
    """A person adds a file to a document: only the units handling it, not once it is closed, and not the
    signed original (that comes with the sign step)."""
    may_add_file(document, kind=kind, viewer=viewer)
    return attach(session, store, document, name, data, kind=kind, viewer=viewer, ip=ip, checked=checked)


def may_add_file(document: Document, *, kind: str, viewer: Viewer) -> None:
    """The refusals of add_file, checked before any work on the file."""
    if kind not in KINDS or kind == "signed":
        raise Invalid("kind: 'main' hoặc 'attachment' (tệp đã ký được nộp khi ký) / "
                      "'main' or 'attachment' (the signed file comes with the sign action)")
    if not viewer.acts_for(document.unit_id) and not viewer.acts_for(document.lead_unit_id):
        raise NotAllowed("Văn bản không thuộc đơn vị của bạn / not your unit's document")
    if document.state in FINAL:
        raise WrongState("Văn bản đã kết thúc xử lý, không thêm tệp / the document is closed")


def attach(session: Session, store: FileStore, document: Document, name: str, data: bytes, *,
           kind: str = "main", viewer: Viewer | None = None, ip: str = "", reindex: bool = True,
           checked: CheckedFile | None = None) -> Attachment:
    """Raises documents.filecheck.FileRejected (with its HTTP status) before anything is written.
    `checked`: the result of checking these bytes beforehand (documents.inspection, outside the transaction,
    as every uploaded file must be); without it the file is checked here, which only files the system made
    itself may rely on."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    checked = checked or check_file(name, data)
    digest = store.put(data)
    blob = session.get(Blob, digest)
    if blob is None:
        blob = Blob(sha256=digest, size=len(data), content_type=checked.content_type, created_at=now(),
                    text=checked.text)
        session.add(blob)
    attachment = Attachment(document_id=document.id, sha256=digest, file_name=checked.name, kind=kind,
                            uploaded_by=viewer.user_id if viewer else None, uploaded_at=now(), blob=blob)
    session.add(attachment)
    session.flush()
    audit.record(session, actor=viewer.username if viewer else "edxml", action="documents.attach",
                 target=f"document:{document.id}", ip=ip,
                 detail={"file": checked.name, "sha256": digest, "size": len(data), "kind": kind})
    if reindex and checked.text:
        indexing.reindex(session, document)
    return attachment


def attachments_of(session: Session, document_id: int) -> list[Attachment]:
    return list(session.execute(select(Attachment).where(Attachment.document_id == document_id)
                                .order_by(Attachment.id)).scalars())


def signed_file(session: Session, document_id: int) -> Attachment | None:
    return session.execute(select(Attachment).where(Attachment.document_id == document_id,
                                                    Attachment.kind == "signed")
                           .order_by(Attachment.id.desc()).limit(1)).scalar_one_or_none()
