"""Signing credentials, signature activation data and issued certificates.

Revision ID: signing_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "signing_0001"
down_revision = None
branch_labels = ("signing",)
depends_on = "core_0001"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "signing_credentials",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=True, index=True),
        sa.Column("unit_id", sa.Integer, sa.ForeignKey("units.id"), nullable=True, index=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("key_spec", sa.String(16), nullable=False),
        sa.Column("store", sa.String(16), nullable=False),
        sa.Column("key_ref", sa.String(64), nullable=False),
        sa.Column("cert_der", sa.LargeBinary, nullable=False),
        sa.Column("cert_serial", sa.String(64), nullable=False, index=True),
        sa.Column("pin_hash", sa.String(200), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("failed_pins", sa.Integer, nullable=False, server_default="0"),
        sa.Column("locked_at", TZ, nullable=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="active"),
        sa.Column("created_at", TZ, nullable=False),
    )
    op.create_table(
        "signing_activations",
        sa.Column("sad_hash", sa.String(64), primary_key=True),
        sa.Column("credential_id", sa.String(40),
                  sa.ForeignKey("signing_credentials.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("hashes", sa.Text, nullable=False),
        sa.Column("remaining", sa.Integer, nullable=False),
        sa.Column("expires_at", TZ, nullable=False, index=True),
        sa.Column("created_at", TZ, nullable=False),
        sa.Column("ip", sa.String(64), nullable=False, server_default=""),
    )
    op.create_table(
        "signing_certificates",
        sa.Column("serial", sa.String(64), primary_key=True),
        sa.Column("credential_id", sa.String(40),
                  sa.ForeignKey("signing_credentials.id", ondelete="SET NULL"), nullable=True, index=True),
        sa.Column("subject", sa.String(500), nullable=False),
        sa.Column("not_before", TZ, nullable=False),
        sa.Column("not_after", TZ, nullable=False),
        sa.Column("revoked_at", TZ, nullable=True),
        sa.Column("issued_at", TZ, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("signing_certificates")
    op.drop_table("signing_activations")
    op.drop_table("signing_credentials")
