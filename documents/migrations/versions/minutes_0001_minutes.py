"""Meeting minutes (biên bản) and their signatures.

Revision ID: minutes_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "minutes_0001"
down_revision = None
branch_labels = ("minutes",)
depends_on = "documents_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "minutes_minutes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("meeting_id", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("secretary_username", sa.String(64), nullable=False, server_default=""),
        sa.Column("chair_username", sa.String(64), nullable=False, server_default=""),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("pdf", sa.LargeBinary, nullable=True),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("code", sa.String(64), nullable=False, server_default=""),
        sa.Column("document_id", sa.Integer, sa.ForeignKey("doc_documents.id"), nullable=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("created_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.UniqueConstraint("meeting_id", name="uq_minutes_minutes_meeting_id"),
    )
    op.create_index("ix_minutes_minutes_status", "minutes_minutes", ["status"])
    op.create_table(
        "minutes_signatures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("minutes_id", sa.Integer, sa.ForeignKey("minutes_minutes.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("position", sa.String(200), nullable=False, server_default=""),
        sa.Column("credential_id", sa.String(64), nullable=False),
        sa.Column("certificate_subject", sa.String(500), nullable=False, server_default=""),
        sa.Column("level", sa.String(8), nullable=False),
        sa.Column("signed_at", TZ, nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("minutes_id", "role", name="uq_minutes_signatures_role"),
        sa.UniqueConstraint("minutes_id", "user_id", name="uq_minutes_signatures_person"),
    )
    op.create_index("ix_minutes_signatures_minutes_id", "minutes_signatures", ["minutes_id"])


def downgrade() -> None:
    op.drop_table("minutes_signatures")
    op.drop_table("minutes_minutes")
