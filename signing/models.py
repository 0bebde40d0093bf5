"""Tables of the signing service: credentials, signature activations (SAD) and issued certificates."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base


def aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


class SigningCredential(Base):
    """A signing key in a key store with its certificate, owned by a person or by a unit (the seal)."""

    __tablename__ = "signing_credentials"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True, default=None)
    # Set for an organisation's credential; used by that unit's clerk (văn thư).
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True, default=None)
    label: Mapped[str] = mapped_column(String(200))
    key_spec: Mapped[str] = mapped_column(String(16))
    store: Mapped[str] = mapped_column(String(16))
    key_ref: Mapped[str] = mapped_column(String(64))
    cert_der: Mapped[bytes] = mapped_column(LargeBinary)
    cert_serial: Mapped[str] = mapped_column(String(64), index=True)
    pin_hash: Mapped[str] = mapped_column(String(200))
    totp_secret: Mapped[str | None] = mapped_column(String(64), default=None)
    failed_pins: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | disabled
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SignatureActivation(Base):
    """Signature activation data (SAD) from credentials/authorize, bound to the authorised hashes."""

    __tablename__ = "signing_activations"

    sad_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    credential_id: Mapped[str] = mapped_column(ForeignKey("signing_credentials.id", ondelete="CASCADE"),
                                               index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # JSON list of hex digests still allowed; each may be signed once.
    hashes: Mapped[str] = mapped_column(Text)
    remaining: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64), default="")


class IssuedCertificate(Base):
    """Every certificate the provincial CA issued to a credential, for OCSP and CRL answers."""

    __tablename__ = "signing_certificates"

    serial: Mapped[str] = mapped_column(String(64), primary_key=True)  # lowercase hex
    credential_id: Mapped[str | None] = mapped_column(
        ForeignKey("signing_credentials.id", ondelete="SET NULL"), index=True, default=None)
    subject: Mapped[str] = mapped_column(String(500))
    not_before: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    not_after: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), default=None)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
