"""The search row of a document: its folded words (number/notation, type, abstract, issuing body,
signer, the text of its PDF files) and facet tokens (unit, register, year, type, state, urgency,
who may see it) so that filters and confidentiality are answered by the full-text index itself."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.folding import folded_words
from documents.clock import local_date
from documents.models import Attachment, Blob, Document, Recipient, SearchText
from documents.scope import visibility_tokens
from documents.vocabulary import DOC_TYPES, type_name

TYPE_INDEX = {abbr: i for i, abbr in enumerate(DOC_TYPES)}
PDF_TEXT_LIMIT = 50_000


def body_text(document: Document, file_texts: list[str] = ()) -> str:  # type: ignore[assignment]
    parts = [document.code, type_name(document.doc_type), document.abstract, document.issuer_name,
             document.signer_name, *(t[:PDF_TEXT_LIMIT] for t in file_texts)]
    return folded_words(" ".join(p for p in parts if p))


def register_day(document: Document) -> date | None:
    """The day a document entered its register: arrival for incoming, issue date for outgoing."""
    if document.register == "in":
        received = getattr(document, "received_at", None)
        return local_date(received) if received is not None else None
    return getattr(document, "doc_date", None)


def month_token(day: date) -> str:
    return f"zzm{day.year}{day.month:02d}"


def facet_tokens(document: Document, recipient_units: list[int], recipient_users: list[int]) -> str:
    tokens = [f"zzu{document.unit_id}", f"zzr{document.register}", f"zzy{document.year}",
              f"zzt{TYPE_INDEX.get(document.doc_type, 99)}", f"zzs{document.state}",
              f"zzk{document.urgency.replace('_', '')}",
              *visibility_tokens(document, recipient_units, recipient_users)]
    day = register_day(document)
    if day is not None:  # lets a period filter narrow the full-text lookup to whole months
        tokens.append(month_token(day))
    return " ".join(tokens)


def _recipients(session: Session, document: Document) -> tuple[list[int], list[int]]:
    rows = session.execute(select(Recipient.unit_id, Recipient.user_id).where(
        Recipient.document_id == document.id)).all()
    return [u for u, _ in rows if u is not None], [p for _, p in rows if p is not None]


def reindex(session: Session, document: Document) -> None:
    """Recompute the whole search row (after creation, an edit or a new file)."""
    session.flush()
    texts = list(session.execute(select(Blob.text).join(Attachment, Attachment.sha256 == Blob.sha256).where(
        Attachment.document_id == document.id, Blob.text != "")).scalars())
    units, users = _recipients(session, document)
    row = session.get(SearchText, document.id)
    body, facets = body_text(document, texts), facet_tokens(document, units, users)
    if row is None:
        session.add(SearchText(document_id=document.id, body=body, facets=facets))
    else:
        row.body, row.facets = body, facets
    session.flush()


def refresh_facets(session: Session, document: Document) -> None:
    """After a state change or new recipients: only the facet tokens change."""
    session.flush()
    units, users = _recipients(session, document)
    session.execute(update(SearchText).where(SearchText.document_id == document.id).values(
        facets=facet_tokens(document, units, users)))
