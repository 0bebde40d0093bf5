"""Cameras, camera health, camera events, alerts and alert rules.

Revision ID: ops_center_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "ops_center_0001"
down_revision = None
branch_labels = ("ops_center",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "ops_cameras",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("location", sa.String(300), nullable=False, server_default=""),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("stream_url", sa.String(1000), nullable=False),
        sa.Column("substream_url", sa.String(1000), nullable=True),
        sa.Column("zones", sa.JSON, nullable=False),
        sa.Column("masks", sa.JSON, nullable=False),
        sa.Column("analysis_fps", sa.Float, nullable=False, server_default="5"),
        sa.Column("people_fps", sa.Float, nullable=False, server_default="2"),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
    )
    op.create_table(
        "ops_camera_health",
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("ops_cameras.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("state", sa.String(20), nullable=False, server_default="connecting"),
        sa.Column("fps", sa.Float, nullable=False, server_default="0"),
        sa.Column("analysis_fps", sa.Float, nullable=False, server_default="0"),
        sa.Column("last_frame_at", TZ, nullable=True),
        sa.Column("offline_since", TZ, nullable=True),
        sa.Column("errors", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("resolution", sa.String(20), nullable=True),
        sa.Column("people", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reported_at", TZ, nullable=False),
    )
    op.create_table(
        "ops_camera_events",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("camera_id", sa.Integer, sa.ForeignKey("ops_cameras.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("kind", sa.String(20), nullable=False, server_default="motion"),
        sa.Column("started_at", TZ, nullable=False, index=True),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("peak_people", sa.Integer, nullable=False, server_default="0"),
        sa.Column("peak_area", sa.Float, nullable=False, server_default="0"),
        sa.Column("snapshot_path", sa.String(500), nullable=True),
        sa.Column("clip_path", sa.String(500), nullable=True),
    )
    op.create_table(
        "ops_alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False, index=True),
        sa.Column("key", sa.String(200), nullable=False, index=True),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("source", sa.String(200), nullable=False, server_default=""),
        sa.Column("detail", sa.JSON, nullable=False),
        sa.Column("status", sa.String(15), nullable=False, server_default="open", index=True),
        sa.Column("count", sa.Integer, nullable=False, server_default="1"),
        sa.Column("raised_at", TZ, nullable=False),
        sa.Column("last_seen_at", TZ, nullable=False),
        sa.Column("acked_by_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("acked_at", TZ, nullable=True),
        sa.Column("ack_comment", sa.Text, nullable=True),
        sa.Column("escalation_level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("escalated_at", TZ, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
    )
    op.create_table(
        "ops_alert_rules",
        sa.Column("kind", sa.String(30), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("severity", sa.String(10), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("camera_ids", sa.JSON, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.Column("updated_by", sa.String(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    for table in ("ops_alert_rules", "ops_alerts", "ops_camera_events", "ops_camera_health", "ops_cameras"):
        op.drop_table(table)
