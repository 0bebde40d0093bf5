"""Tables of the document registers: documents, number counters, recipients, workflow history,
stored files and attachments, edXML exchange messages and the folded search text."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base

TZ = DateTime(timezone=True)


class Document(Base):
    """One entry of a unit's incoming (`in`) or outgoing (`out`) register."""

    __tablename__ = "doc_documents"
    __table_args__ = (UniqueConstraint("unit_id", "register", "year", "number", name="uq_doc_documents_series"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    register: Mapped[str] = mapped_column(String(8))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    year: Mapped[int] = mapped_column(Integer)
    # Incoming: arrival number (số đến). Outgoing: the document's number (số).
    number: Mapped[int | None] = mapped_column(Integer, default=None)
    notation: Mapped[str] = mapped_column(String(40), default="")
    # Number/notation as written on the document, e.g. "123/QĐ-UBND".
    code: Mapped[str] = mapped_column(String(64), default="")
    doc_type: Mapped[str] = mapped_column(String(8))
    abstract: Mapped[str] = mapped_column(String(1000))
    content: Mapped[str] = mapped_column(Text, default="")
    issuer_name: Mapped[str] = mapped_column(String(300), default="")
    issuer_code: Mapped[str] = mapped_column(String(13), default="")
    issuer_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    signer_name: Mapped[str] = mapped_column(String(200), default="")
    signer_position: Mapped[str] = mapped_column(String(200), default="")
    doc_date: Mapped[date | None] = mapped_column(Date, default=None)
    received_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    issued_at: Mapped[datetime | None] = mapped_column(TZ, default=None)
    urgency: Mapped[str] = mapped_column(String(16), default="thuong")
    confidentiality: Mapped[str] = mapped_column(String(16), default="thuong")
    deadline: Mapped[date | None] = mapped_column(Date, default=None)
    state: Mapped[str] = mapped_column(String(20))
    drafting_unit: Mapped[str] = mapped_column(String(20), default="")
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(TZ)
    updated_at: Mapped[datetime] = mapped_column(TZ)
    # Liên thông: the outgoing document of another unit in the system this incoming one came from.
    source_document_id: Mapped[int | None] = mapped_column(ForeignKey("doc_documents.id"), default=None)
    # edXML DocumentId of the sender ("OrganId,yyyy/MM/dd,số/ký hiệu"), used to answer with status messages.
    exchange_id: Mapped[str] = mapped_column(String(120), default="")
    sender_code: Mapped[str] = mapped_column(String(13), default="")
    recipients_text: Mapped[str] = mapped_column(String(1000), default="")
    notes: Mapped[str] = mapped_column(String(500), default="")

    recipients: Mapped[list[Recipient]] = relationship(
        back_populates="document", cascade="all, delete-orphan", order_by="Recipient.id")

    def __repr__(self) -> str:
        return f"Document({self.id} {self.register} {self.number} {self.code!r} {self.state})"


class Counter(Base):
    """The last number given in one series (unit, register, year); locked while a number is taken."""

    __tablename__ = "doc_counters"

    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), primary_key=True)
    register: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


class Recipient(Base):
    """A unit or person a document was sent or assigned to (role: to, cc, lead, coordinate)."""

    __tablename__ = "doc_recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("doc_documents.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    name: Mapped[str] = mapped_column(String(300), default="")
    code: Mapped[str] = mapped_column(String(13), default="")
    role: Mapped[str] = mapped_column(String(16), default="to")

    document: Mapped[Document] = relationship(back_populates="recipients")


class Transition(Base):
    """One step of a document's workflow: who did what, when, from which state to which, and why."""

    __tablename__ = "doc_transitions"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("doc_documents.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(20))
    from_state: Mapped[str] = mapped_column(String(20), default="")
    to_state: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_name: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime] = mapped_column(TZ)
    comment: Mapped[str] = mapped_column(String(2000), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")


class Blob(Base):
    """A stored file, named by the SHA-256 of its bytes; the bytes live in the file store."""

    __tablename__ = "doc_blobs"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(TZ)
    text: Mapped[str] = mapped_column(Text, default="")


class Attachment(Base):
    """A file attached to a document: `main` (the document itself), `attachment`, or `signed`."""

    __tablename__ = "doc_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("doc_documents.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(ForeignKey("doc_blobs.sha256"))
    file_name: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16), default="main")
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    uploaded_at: Mapped[datetime] = mapped_column(TZ)

    blob: Mapped[Blob] = relationship(lazy="joined")


class Exchange(Base):
    """An edXML package or status message sent or received for a document."""

    __tablename__ = "doc_exchanges"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("doc_documents.id", ondelete="CASCADE"),
                                                    default=None)
    direction: Mapped[str] = mapped_column(String(8))  # sent | received
    kind: Mapped[str] = mapped_column(String(8))  # document | status
    status_code: Mapped[str] = mapped_column(String(2), default="")
    peer_code: Mapped[str] = mapped_column(String(13), default="")
    edxml_id: Mapped[str] = mapped_column(String(120), default="")
    sha256: Mapped[str | None] = mapped_column(ForeignKey("doc_blobs.sha256"), default=None)
    delivered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(TZ)


class SearchText(Base):
    """Folded text of a document and its facet tokens; the FTS5 table / tsvector index are built on it."""

    __tablename__ = "doc_search"

    document_id: Mapped[int] = mapped_column(ForeignKey("doc_documents.id", ondelete="CASCADE"), primary_key=True)
    body: Mapped[str] = mapped_column(Text, default="")
    facets: Mapped[str] = mapped_column(Text, default="")
