"""The meeting archive's mixed program (derived after sealing, not part of the seal).

Revision ID: conference_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "conference_0003"
down_revision = "conference_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("meeting_archives", sa.Column("mix_sha256", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meeting_archives") as batch:
        batch.drop_column("mix_sha256")
