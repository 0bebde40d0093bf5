"""Login throttling shared by every door (failures per address and name, locks, the addresses an account
logged in from), replacing the per-user failure counter; each login session gets its audience.

Revision ID: core_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "core_0002"
down_revision = "core_0001"
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", TZ, nullable=False, index=True),
        sa.Column("username", sa.String(64), nullable=False, index=True),
        sa.Column("address", sa.String(64), nullable=False, index=True),
        sa.Column("door", sa.String(16), nullable=False),
    )
    op.create_table(
        "login_addresses",
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("address", sa.String(64), primary_key=True),
        sa.Column("last_login_at", TZ, nullable=False),
    )
    op.create_table(
        "login_locks",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("level", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_at", TZ, nullable=False),
        sa.Column("locked_until", TZ, nullable=False),
    )
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_logins")
        batch.drop_column("locked_until")
    with op.batch_alter_table("login_sessions") as batch:
        batch.add_column(sa.Column("audience", sa.String(16), nullable=False, server_default="web"))


def downgrade() -> None:
    with op.batch_alter_table("login_sessions") as batch:
        batch.drop_column("audience")
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_logins", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", TZ, nullable=True))
    for table in ("login_locks", "login_addresses", "login_failures"):
        op.drop_table(table)
