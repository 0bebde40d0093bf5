"""edXML exchange on the database side: exporting an issued document, importing a package as an
incoming document, status messages back to the sender as that document moves, and liên thông —
issuing to a unit inside the system goes through the very same package path."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.units import Unit
from documents import events, indexing
from documents.attachments import attach, attachments_of
from documents.clock import now
from documents.creation import create_incoming
from documents.edxml import (
    DocumentPackage,
    EdxmlError,
    FilePart,
    Organ,
    StatusMessage,
    build_document,
    build_status,
    parse_document,
    parse_status,
)
from documents.errors import Invalid, NotAllowed, WrongState
from documents.filecheck import CheckedFile, check_file
from documents.filestore import FileStore
from documents.models import Blob, Document, Exchange, Recipient
from documents.schemas import IncomingIn
from documents.scope import Viewer
from documents.vocabulary import (
    DOC_TYPES,
    PRIORITY_OF_URGENCY,
    URGENCY_OF_PRIORITY,
    is_confidential,
    type_from_notation,
    type_name,
)

PACKAGE_TYPE = "application/xml"


def organ_of(unit: Unit) -> Organ:
    return Organ(organ_id=unit.code, name=unit.name)


def _keep(session: Session, store: FileStore | None, data: bytes) -> str | None:
    if store is None:
        return None
    digest = store.put(data)
    if session.get(Blob, digest) is None:
        session.add(Blob(sha256=digest, size=len(data), content_type=PACKAGE_TYPE, created_at=now()))
        session.flush()
    return digest


def package_of(session: Session, document: Document, store: FileStore, receivers: list[Organ]) -> bytes:
    if document.register != "out" or document.number is None or document.doc_date is None:
        raise WrongState("Chỉ văn bản đi đã cấp số mới xuất edXML được / only a numbered outgoing document "
                         "can be exported as edXML")
    unit = session.get(Unit, document.unit_id)
    files = []
    for item in sorted(attachments_of(session, document.id), key=lambda a: (a.kind != "signed", a.id)):
        files.append(FilePart(name=item.file_name, content_type=item.blob.content_type,
                              data=store.get(item.sha256)))
    package = DocumentPackage(
        sender=organ_of(unit), receivers=receivers, code_number=str(document.number),
        code_notation=document.notation, promulgation_date=document.doc_date, subject=document.abstract,
        type_abbr=document.doc_type, type_name=type_name(document.doc_type), place="",
        content=document.content, signer_position=document.signer_position, signer_name=document.signer_name,
        due_date=document.deadline, priority=PRIORITY_OF_URGENCY.get(document.urgency, 0),
        to_places=[r.name for r in document.recipients if r.role == "to" and r.name], files=files)
    try:
        return build_document(package)
    except EdxmlError as exc:
        raise Invalid(f"edXML: {exc}") from exc


def export_package(session: Session, document: Document, store: FileStore) -> bytes:
    if document.state != "issued":
        raise WrongState("Chỉ xuất edXML văn bản đã phát hành / only an issued document can be exported")
    receivers = [Organ(organ_id=r.code, name=r.name) for r in document.recipients if r.code and r.role == "to"]
    return package_of(session, document, store, receivers)


def import_package(session: Session, data: bytes, store: FileStore, *, viewer: Viewer | None,
                   unit_id: int | None = None, source_document_id: int | None = None,
                   confidentiality: str = "thuong", ip: str = "",
                   prepared: tuple[DocumentPackage, list[CheckedFile]] | None = None) -> Document:
    """Parse and check everything first; only then write the incoming document and its files. `prepared`:
    the package already read and its files checked outside the transaction (documents.inspection), as a
    package that arrives from outside must be; without it (packages the system built itself) it is done here."""
    if prepared is None:
        try:
            package = parse_document(data)
        except EdxmlError as exc:
            raise Invalid(f"edXML: {exc}") from exc
        checked = [check_file(part.name, part.data) for part in package.files]
    else:
        package, checked = prepared
    unit = _receiving_unit(session, package, viewer, unit_id)
    duplicate = session.execute(select(Document.id).where(
        Document.register == "in", Document.unit_id == unit.id, Document.exchange_id == package.document_id)
    ).first()
    if duplicate:
        raise WrongState(f"Văn bản {package.document_id} đã được nhận (id {duplicate[0]}) / already received")
    doc_type = package.type_abbr if package.type_abbr in DOC_TYPES else type_from_notation(package.code_notation)
    try:
        data_in = IncomingIn(
            doc_type=doc_type, code=f"{package.code_number}/{package.code_notation}", abstract=package.subject,
            content=package.content, issuer_name=package.sender.name or package.sender.organ_id,
            issuer_code=package.sender.organ_id, signer_name=package.signer_name,
            signer_position=package.signer_position, doc_date=package.promulgation_date,
            urgency=URGENCY_OF_PRIORITY[package.priority], confidentiality=confidentiality,
            deadline=package.due_date, register_now=False)
    except ValidationError as exc:
        raise Invalid(f"edXML: {exc.errors()[0]['loc'][0]}: {exc.errors()[0]['msg']}") from exc
    document = create_incoming(session, viewer, data_in, unit_id=unit.id, exchange_id=package.document_id,
                               sender_code=package.sender.organ_id, source_document_id=source_document_id, ip=ip)
    for part, check in zip(package.files, checked, strict=True):
        attach(session, store, document, part.name, part.data, kind="main", viewer=viewer, ip=ip, reindex=False,
               checked=check)
    indexing.reindex(session, document)
    session.add(Exchange(document_id=document.id, direction="received", kind="document",
                         peer_code=package.sender.organ_id, edxml_id=package.document_id,
                         sha256=_keep(session, store, data), delivered=True, created_at=now()))
    send_status(session, document, "01", viewer, "", store)
    return document


def _receiving_unit(session: Session, package: DocumentPackage, viewer: Viewer | None,
                    unit_id: int | None) -> Unit:
    codes = [r.organ_id for r in package.receivers]
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise Invalid(f"unit_id: không có đơn vị / no such unit {unit_id}")
        if codes and unit.code not in codes:
            raise Invalid(f"edXML: gói tin không gửi cho {unit.code} / the package is not addressed to this unit "
                          f"(To: {', '.join(codes)})")
    else:
        candidates = list(session.execute(select(Unit).where(Unit.code.in_(codes))).scalars()) if codes else []
        if viewer is not None:
            candidates = [u for u in candidates if viewer.acts_for(u.id)]
        if not candidates:
            raise Invalid("edXML: không có đơn vị nhận nào trong hệ thống / no receiving unit of this package "
                          "is yours")
        unit = candidates[0]
    if viewer is not None and not viewer.acts_for(unit.id):
        raise NotAllowed("Bạn không làm việc cho đơn vị nhận / you do not work for the receiving unit")
    return unit


def send_status(session: Session, document: Document, code: str, viewer: Viewer | None, comment: str,
                store: FileStore | None = None) -> Exchange:
    """Tell the sender what became of its document: to the outbox, or straight to an internal sender."""
    unit = session.get(Unit, document.unit_id)
    message = StatusMessage(sender=organ_of(unit), document_id=document.exchange_id, status_code=code,
                            description=comment[:500], timestamp=now().replace(tzinfo=None),
                            staff_name=viewer.full_name if viewer else "", department=unit.name[:200])
    data = build_status(message)
    internal = document.source_document_id is not None
    sent = Exchange(document_id=document.id, direction="sent", kind="status", status_code=code,
                    peer_code=document.sender_code, edxml_id=document.exchange_id, sha256=_keep(session, store, data),
                    delivered=internal, created_at=now())
    session.add(sent)
    if internal:
        session.add(Exchange(document_id=document.source_document_id, direction="received", kind="status",
                             status_code=code, peer_code=unit.code, edxml_id=document.exchange_id,
                             delivered=True, created_at=now()))
    events.queue(session, "documents.status", {"document_id": document.id, "status_code": code,
                                               "to": document.sender_code, "internal": internal,
                                               "source_document_id": document.source_document_id})
    session.flush()
    return sent


def receive_status(session: Session, data: bytes, store: FileStore | None) -> Exchange:
    """A status message from another agency about one of our outgoing documents."""
    try:
        message = parse_status(data)
    except EdxmlError as exc:
        raise Invalid(f"edXML: {exc}") from exc
    organ_id, _, rest = message.document_id.partition(",")
    _, _, code = rest.partition(",")
    unit = session.execute(select(Unit).where(Unit.code == organ_id)).scalar_one_or_none()
    document = None
    if unit is not None:
        document = session.execute(select(Document).where(
            Document.register == "out", Document.unit_id == unit.id, Document.code == code)).scalar_one_or_none()
    if document is None:
        raise Invalid(f"edXML: không có văn bản đi {message.document_id} / no outgoing document with this id")
    received = Exchange(document_id=document.id, direction="received", kind="status",
                        status_code=message.status_code, peer_code=message.sender.organ_id,
                        edxml_id=message.document_id, sha256=_keep(session, store, data), delivered=True,
                        created_at=now())
    session.add(received)
    session.flush()
    return received


def deliver(session: Session, document: Document, store: FileStore | None) -> dict[str, Any]:
    """On issue: an edXML package to every recipient; those inside the system get it in their register now."""
    if store is None:
        raise RuntimeError("a file store is needed to issue documents")
    delivered, outbox = [], []
    already = set(session.execute(select(Exchange.peer_code).where(
        Exchange.document_id == document.id, Exchange.direction == "sent", Exchange.kind == "document")).scalars())
    for recipient in document.recipients:
        if recipient.role != "to" or not recipient.code or recipient.code in already:
            continue
        already.add(recipient.code)
        receiver = Organ(organ_id=recipient.code, name=recipient.name)
        if recipient.unit_id is not None and recipient.unit_id != document.unit_id:
            data = package_of(session, document, store, [receiver])
            incoming = import_package(session, data, store, viewer=None, unit_id=recipient.unit_id,
                                      source_document_id=document.id, confidentiality=document.confidentiality)
            session.add(Exchange(document_id=document.id, direction="sent", kind="document",
                                 peer_code=recipient.code, edxml_id=incoming.exchange_id,
                                 sha256=_keep(session, store, data), delivered=True, created_at=now()))
            delivered.append(incoming.id)
        elif recipient.unit_id is None and not is_confidential(document.confidentiality):
            # Confidential documents never leave through the exchange; they go on paper.
            data = package_of(session, document, store, [receiver])
            session.add(Exchange(document_id=document.id, direction="sent", kind="document",
                                 peer_code=recipient.code, sha256=_keep(session, store, data), delivered=False,
                                 created_at=now()))
            outbox.append(recipient.code)
    return {"delivered_incoming_ids": delivered, "outbox": outbox}


def send_document(session: Session, document: Document, unit_ids: list[int], actor: Viewer | None,
                  store: FileStore) -> list[int]:
    """Send an issued outgoing document to more units of the system (liên thông); returns the new incoming ids."""
    if document.register != "out" or document.state != "issued":
        raise WrongState("Chỉ gửi được văn bản đi đã phát hành / only an issued outgoing document can be sent")
    have = {r.unit_id for r in document.recipients if r.role == "to"}
    for unit_id in unit_ids:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise Invalid(f"unit_ids: không có đơn vị / no such unit {unit_id}")
        if unit_id not in have:
            document.recipients.append(Recipient(unit_id=unit_id, name=unit.name, code=unit.code, role="to"))
            have.add(unit_id)
    session.flush()
    result = deliver(session, document, store)
    indexing.refresh_facets(session, document)
    return result["delivered_incoming_ids"]


def history(session: Session, document_id: int) -> list[Exchange]:
    return list(session.execute(select(Exchange).where(Exchange.document_id == document_id)
                                .order_by(Exchange.id)).scalars())
