"""Cameras: RTSP transport and site; health: the fault, people per zone, and which ingest process owns
the camera under which lease (fencing token).

Revision ID: ops_center_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "ops_center_0002"
down_revision = "ops_center_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("ops_cameras") as t:
        t.add_column(sa.Column("transport", sa.String(3), nullable=False, server_default="tcp"))
        t.add_column(sa.Column("site", sa.String(200), nullable=False, server_default=""))
    with op.batch_alter_table("ops_camera_health") as t:
        t.add_column(sa.Column("fault", sa.String(30), nullable=True))
        t.add_column(sa.Column("zone_people", sa.JSON, nullable=True))
        t.add_column(sa.Column("owner", sa.String(100), nullable=True))
        t.add_column(sa.Column("lease_token", sa.BigInteger, nullable=False, server_default="0"))
        t.add_column(sa.Column("owner_since", TZ, nullable=True))
        t.add_column(sa.Column("takeover_gap_s", sa.Float, nullable=True))
        t.add_column(sa.Column("handover_dark_since", TZ, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ops_camera_health") as t:
        for name in ("handover_dark_since", "takeover_gap_s", "owner_since", "lease_token", "owner", "zone_people", "fault"):
            t.drop_column(name)
    with op.batch_alter_table("ops_cameras") as t:
        t.drop_column("site")
        t.drop_column("transport")
