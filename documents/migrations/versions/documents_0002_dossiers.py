"""Dossiers: procedure catalog, dossiers with national status codes, status history, paused intervals
and per-unit daily code counters. Indexes serve the statistics (period scans grouped by unit or
procedure), the work lists (status + due date) and the list page (newest first per unit).

Revision ID: documents_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "documents_0002"
down_revision = "documents_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "dos_procedures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("field", sa.String(200), nullable=False),
        sa.Column("processing_days", sa.Integer, nullable=False),
        sa.Column("level", sa.String(12), nullable=False),
        sa.Column("cutoff", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("tier", sa.String(10), nullable=False, server_default="province"),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("processing_days >= 0", name="days"),
        sa.CheckConstraint("level IN ('toan_trinh', 'mot_phan')", name="level"),
        sa.CheckConstraint("tier IN ('province', 'district', 'commune')", name="tier"),
        sa.CheckConstraint("tier != 'province' OR unit_id IS NOT NULL", name="tier_unit"),
    )
    op.create_index("ix_dos_procedures_unit", "dos_procedures", ["unit_id"])
    op.create_table(
        "dos_dossiers",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(32), nullable=False, unique=True),
        sa.Column("procedure_id", sa.Integer, sa.ForeignKey("dos_procedures.id"), nullable=False),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("awaiting_approval", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("applicant_name", sa.String(200), nullable=False),
        sa.Column("applicant_id_number", sa.String(20), nullable=False, server_default=""),
        sa.Column("applicant_phone", sa.String(20), nullable=False, server_default=""),
        sa.Column("applicant_address", sa.String(300), nullable=False, server_default=""),
        sa.Column("note", sa.String(1000), nullable=False, server_default=""),
        sa.Column("submitted_at", TZ, nullable=False),
        sa.Column("received_at", TZ, nullable=True),
        sa.Column("due_date", sa.Date, nullable=True),
        sa.Column("paused_since", TZ, nullable=True),
        sa.Column("resolved_at", TZ, nullable=True),
        sa.Column("outcome", sa.String(8), nullable=True),
        sa.Column("returned_at", TZ, nullable=True),
        sa.Column("closed_at", TZ, nullable=True),
        sa.Column("received_by", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("handler_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("new_return_date", sa.Date, nullable=True),
        sa.Column("apology_reason", sa.String(1000), nullable=False, server_default=""),
        sa.Column("apology_at", TZ, nullable=True),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("status BETWEEN 1 AND 10", name="status"),
        sa.CheckConstraint("channel IN ('desk', 'online')", name="channel"),
        sa.CheckConstraint("outcome IS NULL OR outcome IN ('early', 'on_time', 'late')", name="outcome"),
    )
    # Both indexes the statistics may use carry every column they read (received period first, or unit and
    # procedure first), so whichever the planner picks, the scan never visits the wide table rows.
    op.create_index("ix_dos_received", "dos_dossiers", ["received_at", "unit_id", "procedure_id", "channel",
                                                        "outcome", "resolved_at", "closed_at", "paused_since",
                                                        "due_date"])
    op.create_index("ix_dos_stats", "dos_dossiers", ["unit_id", "procedure_id", "received_at", "channel", "outcome",
                                                     "resolved_at", "closed_at", "paused_since", "due_date"])
    op.create_index("ix_dos_procedure_received", "dos_dossiers", ["procedure_id", "received_at"])
    op.create_index("ix_dos_resolved", "dos_dossiers", ["resolved_at"])
    op.create_index("ix_dos_status_due", "dos_dossiers", ["status", "due_date"])
    op.create_index("ix_dos_submitted", "dos_dossiers", ["submitted_at"])
    op.create_table(
        "dos_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dos_dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("from_status", sa.SmallInteger, nullable=True),
        sa.Column("to_status", sa.SmallInteger, nullable=False),
        sa.Column("actor_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("at", TZ, nullable=False),
        sa.Column("comment", sa.String(2000), nullable=False, server_default=""),
        sa.Column("detail", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_index("ix_dos_events_dossier", "dos_events", ["dossier_id", "id"])
    op.create_table(
        "dos_pauses",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("dossier_id", sa.Integer, sa.ForeignKey("dos_dossiers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.SmallInteger, nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("ended_at", TZ, nullable=True),
        sa.Column("reason", sa.String(1000), nullable=False, server_default=""),
    )
    op.create_index("ix_dos_pauses_dossier", "dos_pauses", ["dossier_id"])
    op.create_table(
        "dos_counters",
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("last", sa.Integer, nullable=False, server_default="0"),
    )


def downgrade() -> None:
    for table in ("dos_counters", "dos_pauses", "dos_events", "dos_dossiers", "dos_procedures"):
        op.drop_table(table)
