"""Health: the codec a camera's main stream carried when the wall last opened it (a camera whose main
stream is not H.264 cannot be forwarded to browsers over WebRTC as it is).

Revision ID: ops_center_0003
"""

import sqlalchemy as sa
from alembic import op

revision = "ops_center_0003"
down_revision = "ops_center_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("ops_camera_health") as t:
        t.add_column(sa.Column("main_codec", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ops_camera_health") as t:
        t.drop_column("main_codec")
