"""Meetings, agenda items, invitations, attendance, speaking turns and meeting actions.

Revision ID: conference_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "conference_0001"
down_revision = None
branch_labels = ("conference",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def _meeting_fk() -> sa.Column:
    return sa.Column("meeting_id", sa.Integer, sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False,
                     index=True)


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("place", sa.String(300), nullable=False, server_default=""),
        sa.Column("scheduled_at", TZ, nullable=False, index=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="scheduled", index=True),
        sa.Column("video_codec", sa.String(10), nullable=False, server_default="vp8"),
        sa.Column("chair_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("secretary_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_by_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("started_at", TZ, nullable=True),
        sa.Column("ended_at", TZ, nullable=True),
    )
    op.create_table(
        "meeting_agenda_items",
        sa.Column("id", sa.Integer, primary_key=True),
        _meeting_fk(),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("presenter", sa.String(200), nullable=False, server_default=""),
        sa.Column("minutes", sa.Integer, nullable=True),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "meeting_invitations",
        sa.Column("id", sa.Integer, primary_key=True),
        _meeting_fk(),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_invitations_meeting_id"),
    )
    op.create_table(
        "meeting_attendance",
        sa.Column("id", sa.Integer, primary_key=True),
        _meeting_fk(),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
        sa.Column("participant", sa.String(64), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("joined_at", TZ, nullable=False),
        sa.Column("left_at", TZ, nullable=True),
        sa.Column("leave_reason", sa.String(20), nullable=False, server_default=""),
        sa.Column("last_stats", sa.Text, nullable=False, server_default=""),
        sa.Column("stats_at", TZ, nullable=True),
    )
    op.create_table(
        "meeting_speaking",
        sa.Column("id", sa.Integer, primary_key=True),
        _meeting_fk(),
        sa.Column("participant", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
    )
    op.create_table(
        "meeting_actions",
        sa.Column("id", sa.Integer, primary_key=True),
        _meeting_fk(),
        sa.Column("at", TZ, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("actor_role", sa.String(20), nullable=False, server_default=""),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("target", sa.String(64), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )


def downgrade() -> None:
    for table in ("meeting_actions", "meeting_speaking", "meeting_attendance", "meeting_invitations",
                  "meeting_agenda_items", "meetings"):
        op.drop_table(table)
