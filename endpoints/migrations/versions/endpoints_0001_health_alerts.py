"""Endpoint health (latest report per endpoint) and offline alerts.

Revision ID: endpoints_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "endpoints_0001"
down_revision = None
branch_labels = ("endpoints",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "endpoint_health",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("last_seen", TZ, nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("meeting_id", sa.Integer, nullable=True),
        sa.Column("meeting_title", sa.String(300), nullable=False, server_default=""),
        sa.Column("camera", sa.String(20), nullable=False, server_default=""),
        sa.Column("microphone", sa.String(20), nullable=False, server_default=""),
        sa.Column("cpu_pct", sa.Float, nullable=True),
        sa.Column("bitrate_out_kbps", sa.Float, nullable=True),
        sa.Column("bitrate_in_kbps", sa.Float, nullable=True),
        sa.Column("loss_pct", sa.Float, nullable=True),
        sa.Column("rtt_ms", sa.Float, nullable=True),
        sa.Column("software_version", sa.String(40), nullable=False, server_default=""),
        sa.Column("address", sa.String(64), nullable=False, server_default=""),
        sa.Column("rejoins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_rejoin_s", sa.Float, nullable=True),
        sa.Column("last_error", sa.String(300), nullable=False, server_default=""),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_table(
        "endpoint_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("meeting_id", sa.Integer, nullable=False, index=True),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("cleared_at", TZ, nullable=True, index=True),
        sa.Column("last_seen", TZ, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("endpoint_alerts")
    op.drop_table("endpoint_health")
