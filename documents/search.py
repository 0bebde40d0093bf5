"""Accent-insensitive full-text search over the registers. The query is folded like the indexed text
(đ → d, diacritics dropped) and every word must match; filters and who-may-see are facet tokens in
the same index, so one index lookup answers the whole question, newest documents first.
SQLite: an FTS5 table over doc_search. PostgreSQL: a tsvector ('simple') over the same text, GIN."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.folding import words
from documents.clock import day_start
from documents.indexing import TYPE_INDEX, month_token
from documents.models import Document
from documents.scope import Viewer, viewer_tokens

MAX_TERMS = 12
# Newest search rows scanned in order on PostgreSQL before falling back to the GIN index.
WINDOW = 5000
_RUM: dict[str, bool] = {}


@dataclass(frozen=True)
class SearchFilters:
    unit_id: int | None = None
    register: str | None = None
    doc_type: str | None = None
    state: str | None = None
    urgency: str | None = None
    year: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _facets(filters: SearchFilters) -> list[list[str]]:
    """Facet groups that must all match; a group matches when any of its tokens does."""
    tokens: list[list[str]] = []
    # Numbers go through _plain too: a negative one would otherwise become FTS5 syntax ("zzu-1470").
    if filters.unit_id is not None:
        tokens.append([f"zzu{_plain(str(filters.unit_id))}"])
    if filters.register:
        tokens.append([f"zzr{_plain(filters.register)}"])
    if filters.doc_type:
        tokens.append([f"zzt{TYPE_INDEX.get(filters.doc_type, 99)}"])
    if filters.state:
        tokens.append([f"zzs{_plain(filters.state)}"])
    if filters.urgency:
        tokens.append([f"zzk{_plain(filters.urgency)}"])
    if filters.year is not None:
        tokens.append([f"zzy{_plain(str(filters.year))}"])
    months = _months(filters.date_from, filters.date_to)
    if months:
        tokens.append(months)
    return tokens


def _plain(value: str) -> str:
    """A filter value as an index token: letters and digits only, never query syntax."""
    return "".join(words(value))


def _months(first: date | None, last: date | None) -> list[str]:
    """Month tokens covering a bounded period of at most three years (exact days are checked afterwards)."""
    if first is None or last is None or last < first or (last.year - first.year) * 12 + last.month - first.month > 36:
        return []
    tokens, day = [], first.replace(day=1)
    while day <= last:
        tokens.append(month_token(day))
        day = (day + timedelta(days=32)).replace(day=1)
    return tokens


def search_documents(session: Session, viewer: Viewer, query: str, filters: SearchFilters = SearchFilters(),
                     limit: int = 20, offset: int = 0) -> list[Document]:
    terms = words(query)[:MAX_TERMS]
    if not terms:
        return []
    facets = _facets(filters)
    visibility = viewer_tokens(viewer)
    limit, offset = min(max(limit, 1), 100), max(offset, 0)
    if session.get_bind().dialect.name == "postgresql":
        ids = _postgres(session, terms, facets, visibility, filters, limit, offset)
    else:
        ids = _sqlite(session, terms, facets, visibility, filters, limit, offset)
    if not ids:
        return []
    found = {d.id: d for d in session.execute(select(Document).where(Document.id.in_(ids))).scalars()}
    return [found[i] for i in ids if i in found]


def _date_clause(filters: SearchFilters) -> tuple[str, dict]:
    """The period filter, on the register date: arrival for incoming, issue date for outgoing."""
    clauses, params = [], {}
    if filters.date_from:
        clauses.append("((d.register = 'in' AND d.received_at >= :from_ts) OR "
                       "(d.register = 'out' AND d.doc_date >= :date_from))")
        params.update(from_ts=day_start(filters.date_from), date_from=filters.date_from)
    if filters.date_to:
        clauses.append("((d.register = 'in' AND d.received_at < :to_ts) OR "
                       "(d.register = 'out' AND d.doc_date <= :date_to))")
        params.update(to_ts=day_start(filters.date_to + timedelta(days=1)), date_to=filters.date_to)
    return (" AND " + " AND ".join(clauses)) if clauses else "", params


def _sqlite(session: Session, terms: list[str], facets: list[list[str]], visibility: list[str],
            filters: SearchFilters, limit: int, offset: int) -> list[int]:
    body = " AND ".join(f'"{t}"' for t in terms)
    wanted = " AND ".join("(" + " OR ".join(group) + ")" for group in [*facets, visibility])
    match = f"body : ({body}) AND facets : ({wanted})"
    dates, params = _date_clause(filters)
    if dates:
        sql = (f"SELECT f.rowid FROM doc_fts f JOIN doc_documents d ON d.id = f.rowid "
               f"WHERE doc_fts MATCH :match{dates} ORDER BY f.rowid DESC LIMIT :limit OFFSET :offset")
        params = {k: _sqlite_value(v) for k, v in params.items()}
    else:
        sql = "SELECT rowid FROM doc_fts WHERE doc_fts MATCH :match ORDER BY rowid DESC LIMIT :limit OFFSET :offset"
    rows = session.execute(text(sql), {"match": match, "limit": limit, "offset": offset, **params})
    return [r[0] for r in rows]


def _sqlite_value(value: object) -> object:
    """The text SQLAlchemy stores in SQLite: naive UTC 'YYYY-MM-DD HH:MM:SS.ffffff' or 'YYYY-MM-DD'."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _has_rum(session: Session) -> bool:
    """Whether migration documents_0003 could build the RUM index (remembered per database)."""
    url = str(session.get_bind().engine.url)
    if url not in _RUM:
        _RUM[url] = session.execute(text(
            "SELECT 1 FROM pg_indexes WHERE indexname = 'ix_doc_search_rum'")).first() is not None
    return _RUM[url]


def _postgres(session: Session, terms: list[str], facets: list[list[str]], visibility: list[str],
              filters: SearchFilters, limit: int, offset: int) -> list[int]:
    """Two steps. First the newest WINDOW rows are scanned in order and filtered: enough when the words
    are common. Otherwise the rest comes from the index below the window: with RUM (document id attached)
    the index itself yields matches newest first; with plain GIN every match must be visited and sorted."""
    tsquery = " & ".join([*terms, *("(" + " | ".join(group) + ")" for group in [*facets, visibility])])
    dates, params = _date_clause(filters)
    join = " JOIN doc_documents d ON d.id = s.document_id" if dates else ""
    want = offset + limit
    recent = [r[0] for r in session.execute(text(
        f"SELECT s.document_id FROM (SELECT document_id, vector FROM doc_search ORDER BY document_id DESC "
        f"LIMIT :window) s{join} WHERE s.vector @@ to_tsquery('simple', :q){dates} LIMIT :want"),
        {"q": tsquery, "window": WINDOW, "want": want, **params})]
    if len(recent) >= want:
        return recent[offset:want]
    floor = session.execute(text("SELECT document_id FROM doc_search ORDER BY document_id DESC "
                                 "OFFSET :skip LIMIT 1"), {"skip": WINDOW - 1}).scalar_one_or_none()
    if floor is None:
        return recent[offset:want]
    order = "s.document_id <=| :floor" if _has_rum(session) else "s.document_id DESC"
    older = [r[0] for r in session.execute(text(
        f"SELECT s.document_id FROM doc_search s{join} WHERE s.vector @@ to_tsquery('simple', :q) "
        f"AND s.document_id < :floor{dates} ORDER BY {order} LIMIT :rest"),
        {"q": tsquery, "floor": floor, "rest": want - len(recent), **params})]
    return (recent + older)[offset:want]
