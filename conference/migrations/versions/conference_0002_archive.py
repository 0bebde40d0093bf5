"""The meeting archive: whether a meeting is recorded, its kind (retention), and its archive row.

Revision ID: conference_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "conference_0002"
down_revision = "conference_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("meetings", sa.Column("record", sa.Boolean, nullable=False, server_default=sa.true()))
    op.add_column("meetings", sa.Column("kind", sa.String(20), nullable=False, server_default="giao_ban"))
    op.create_table(
        "meeting_archives",
        sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False, server_default="recording", index=True),
        sa.Column("directory", sa.String(500), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("sealed_at", TZ, nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text, nullable=False, server_default=""),
        sa.Column("keep_until", TZ, nullable=True),
        sa.Column("pruned_at", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("meeting_archives")
    with op.batch_alter_table("meetings") as batch:
        batch.drop_column("kind")
        batch.drop_column("record")
