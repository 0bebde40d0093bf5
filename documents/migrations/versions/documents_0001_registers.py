"""Document registers: documents, their yearly number series, recipients, workflow history,
content-addressed files and attachments, edXML exchange messages and the search index
(SQLite FTS5 over folded text; PostgreSQL tsvector + GIN and pg_trgm).

Revision ID: documents_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0001"
down_revision = None
branch_labels = ("documents",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "doc_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("register", sa.String(8), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("notation", sa.String(40), nullable=False, server_default=""),
        sa.Column("code", sa.String(64), nullable=False, server_default=""),
        sa.Column("doc_type", sa.String(8), nullable=False),
        sa.Column("abstract", sa.String(1000), nullable=False),
        sa.Column("content", sa.Text, nullable=False, server_default=""),
        sa.Column("issuer_name", sa.String(300), nullable=False, server_default=""),
        sa.Column("issuer_code", sa.String(13), nullable=False, server_default=""),
        sa.Column("issuer_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("signer_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("signer_position", sa.String(200), nullable=False, server_default=""),
        sa.Column("doc_date", sa.Date, nullable=True),
        sa.Column("received_at", TZ, nullable=True),
        sa.Column("issued_at", TZ, nullable=True),
        sa.Column("urgency", sa.String(16), nullable=False, server_default="thuong"),
        sa.Column("confidentiality", sa.String(16), nullable=False, server_default="thuong"),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("drafting_unit", sa.String(20), nullable=False, server_default=""),
        sa.Column("lead_unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("handler_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("source_document_id", sa.Integer, sa.ForeignKey("doc_documents.id"), nullable=True),
        sa.Column("exchange_id", sa.String(120), nullable=False, server_default=""),
        sa.Column("sender_code", sa.String(13), nullable=False, server_default=""),
        sa.Column("recipients_text", sa.String(1000), nullable=False, server_default=""),
        sa.Column("notes", sa.String(500), nullable=False, server_default=""),
        # One number per unit, register and year; NULL (not yet numbered) may repeat.
        sa.UniqueConstraint("unit_id", "register", "year", "number", name="uq_doc_documents_series"),
    )
    # Register pages: one unit's register for one year, newest number first, optionally filtered.
    op.create_index("ix_doc_page_state", "doc_documents", ["unit_id", "register", "year", "state", "number"])
    op.create_index("ix_doc_page_type", "doc_documents", ["unit_id", "register", "year", "doc_type", "number"])
    op.create_index("ix_doc_page_urgency", "doc_documents", ["unit_id", "register", "year", "urgency", "number"])
    op.create_index("ix_doc_page_date", "doc_documents", ["unit_id", "register", "doc_date"])
    # Work lists, the leader's inbox and the dashboard's overdue figures.
    op.create_index("ix_doc_state_deadline", "doc_documents", ["state", "deadline"])
    op.create_index("ix_doc_lead_state", "doc_documents", ["lead_unit_id", "state"])
    op.create_index("ix_doc_received_at", "doc_documents", ["received_at"])
    op.create_index("ix_doc_source", "doc_documents", ["source_document_id"])
    op.create_index("ix_doc_exchange_id", "doc_documents", ["exchange_id"])

    op.create_table(
        "doc_counters",
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), primary_key=True),
        sa.Column("register", sa.String(8), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_number", sa.Integer, nullable=False, server_default="0"),
    )
    op.create_table(
        "doc_recipients",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("doc_documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("name", sa.String(300), nullable=False, server_default=""),
        sa.Column("code", sa.String(13), nullable=False, server_default=""),
        sa.Column("role", sa.String(16), nullable=False, server_default="to"),
    )
    op.create_index("ix_doc_recipients_document", "doc_recipients", ["document_id"])
    op.create_index("ix_doc_recipients_unit", "doc_recipients", ["unit_id", "document_id"])
    op.create_index("ix_doc_recipients_user", "doc_recipients", ["user_id", "document_id"])

    op.create_table(
        "doc_transitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("doc_documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("from_state", sa.String(20), nullable=False, server_default=""),
        sa.Column("to_state", sa.String(20), nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("at", TZ, nullable=False),
        sa.Column("comment", sa.String(2000), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_doc_transitions_document", "doc_transitions", ["document_id", "id"])

    op.create_table(
        "doc_blobs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        # Text extracted from a PDF, kept so that re-indexing a document never re-parses its files.
        sa.Column("text", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "doc_attachments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("doc_documents.id", ondelete="CASCADE"), nullable=False),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("doc_blobs.sha256"), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False, server_default="main"),
        sa.Column("uploaded_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("uploaded_at", TZ, nullable=False),
    )
    op.create_index("ix_doc_attachments_document", "doc_attachments", ["document_id"])

    op.create_table(
        "doc_exchanges",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("doc_documents.id", ondelete="CASCADE"), nullable=True),
        sa.Column("direction", sa.String(8), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("status_code", sa.String(2), nullable=False, server_default=""),
        sa.Column("peer_code", sa.String(13), nullable=False, server_default=""),
        sa.Column("edxml_id", sa.String(120), nullable=False, server_default=""),
        sa.Column("sha256", sa.String(64), sa.ForeignKey("doc_blobs.sha256"), nullable=True),
        sa.Column("delivered", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_index("ix_doc_exchanges_document", "doc_exchanges", ["document_id"])
    op.create_index("ix_doc_exchanges_pending", "doc_exchanges", ["direction", "delivered"])

    # Folded (accent-free, lower-case) text of each document plus facet tokens for filters.
    op.create_table(
        "doc_search",
        sa.Column("document_id", sa.Integer, sa.ForeignKey("doc_documents.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("body", sa.Text, nullable=False, server_default=""),
        sa.Column("facets", sa.Text, nullable=False, server_default=""),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "ALTER TABLE doc_search ADD COLUMN vector tsvector "
            "GENERATED ALWAYS AS (to_tsvector('simple', body || ' ' || facets)) STORED"
        )
        op.execute("CREATE INDEX ix_doc_search_vector ON doc_search USING gin (vector)")
        # Partial numbers/notations ("123/qd", "ubnd-kt") are matched as substrings of the code.
        op.execute("CREATE INDEX ix_doc_code_trgm ON doc_documents USING gin (lower(code) gin_trgm_ops)")
    else:
        op.execute(
            "CREATE VIRTUAL TABLE doc_fts USING fts5(body, facets, content='doc_search', "
            "content_rowid='document_id', tokenize='unicode61 remove_diacritics 2')"
        )
        op.execute(
            "CREATE TRIGGER doc_search_ai AFTER INSERT ON doc_search BEGIN "
            "INSERT INTO doc_fts(rowid, body, facets) VALUES (new.document_id, new.body, new.facets); END"
        )
        op.execute(
            "CREATE TRIGGER doc_search_ad AFTER DELETE ON doc_search BEGIN "
            "INSERT INTO doc_fts(doc_fts, rowid, body, facets) VALUES ('delete', old.document_id, old.body, "
            "old.facets); END"
        )
        op.execute(
            "CREATE TRIGGER doc_search_au AFTER UPDATE ON doc_search BEGIN "
            "INSERT INTO doc_fts(doc_fts, rowid, body, facets) VALUES ('delete', old.document_id, old.body, "
            "old.facets); "
            "INSERT INTO doc_fts(rowid, body, facets) VALUES (new.document_id, new.body, new.facets); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("doc_search_ai", "doc_search_ad", "doc_search_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS doc_fts")
    for table in ("doc_search", "doc_exchanges", "doc_attachments", "doc_blobs", "doc_transitions",
                  "doc_recipients", "doc_counters", "doc_documents"):
        op.drop_table(table)
