"""PostgreSQL search index ordered by document: where the RUM extension is installed (Debian package
postgresql-15-rum), a RUM index over the search vector with the document id attached replaces the GIN
index, so the newest matches come straight from the index without visiting every matching row. The
unused trigram index on codes goes. SQLite is unchanged (FTS5 already returns rowids in order).

Revision ID: documents_0003
"""

from alembic import op
from sqlalchemy import text

revision = "documents_0003"
down_revision = "documents_0002"
branch_labels = None
depends_on = None


def _rum_available() -> bool:
    bind = op.get_bind()
    found = bind.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'rum'")).first()
    return found is not None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_doc_code_trgm")
    if _rum_available():
        op.execute("CREATE EXTENSION IF NOT EXISTS rum")
        op.execute("CREATE INDEX ix_doc_search_rum ON doc_search USING rum (vector rum_tsvector_addon_ops, "
                   "document_id) WITH (attach = 'document_id', to = 'vector')")
        op.execute("DROP INDEX IF EXISTS ix_doc_search_vector")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_doc_search_rum")
    op.execute("CREATE INDEX IF NOT EXISTS ix_doc_search_vector ON doc_search USING gin (vector)")
    op.execute("CREATE INDEX IF NOT EXISTS ix_doc_code_trgm ON doc_documents USING gin (lower(code) gin_trgm_ops)")
