"""Issuing a signing credential: a key in a store, a certificate from the provincial CA, a PIN."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.audit import record
from core.people import User
from core.units import Unit
from signing.ca import ProvincialCA, ensure_ca
from signing.config import SigningConfig
from signing.keystore import KeyStoreError, key_kind
from signing.models import IssuedCertificate, SigningCredential
from signing.pins import hash_pin, new_totp_secret
from signing.store_registry import KeyStores


class EnrollmentError(ValueError):
    """The person or unit cannot be enrolled as asked (unknown, inactive, bad PIN or key type)."""


@dataclass(frozen=True)
class Enrolled:
    credential_id: str
    cert_pem: str
    totp_secret: str | None


def _issue(session: Session, settings: Any, *, user: User | None, unit: Unit | None, common_name: str,
           title: str | None, unit_name: str | None, pin: str, key_spec: str | None, store: str | None,
           with_otp: bool, stores: KeyStores | None, actor: str) -> Enrolled:
    config = SigningConfig()
    key_spec = key_spec or config.default_key
    store_kind = store or config.default_store
    try:
        key_kind(key_spec)
        pin_hash = hash_pin(pin, str(settings.secret_key))
    except ValueError as exc:
        raise EnrollmentError(str(exc)) from exc
    ca = ensure_ca(settings)
    owned_stores = stores is None
    stores = stores or KeyStores(settings, config)
    credential_id = uuid.uuid4().hex
    try:
        key_store = stores.get(store_kind)
        public_der = key_store.generate(credential_id, key_spec)
        try:
            return _record(session, settings, ca, credential_id, public_der, user=user, unit=unit,
                           common_name=common_name, title=title, unit_name=unit_name, pin_hash=pin_hash,
                           key_spec=key_spec, store_kind=store_kind, with_otp=with_otp, actor=actor)
        except Exception:
            # Do not leave a key behind that no credential points at.
            key_store.delete(credential_id)
            raise
    except KeyStoreError as exc:
        raise EnrollmentError(str(exc)) from exc
    finally:
        if owned_stores:
            stores.close()


def _record(session: Session, settings: Any, ca: ProvincialCA, credential_id: str, public_der: bytes, *,
            user: User | None, unit: Unit | None, common_name: str, title: str | None, unit_name: str | None,
            pin_hash: str, key_spec: str, store_kind: str, with_otp: bool, actor: str) -> Enrolled:
    cert = ca.issue_signing_certificate(
        public_der, common_name=common_name, username=user.username if user else None, title=title,
        unit=unit_name,
    )
    now = datetime.now(UTC)
    otp_secret = new_totp_secret() if with_otp else None
    session.add(SigningCredential(
        id=credential_id, user_id=user.id if user else None, unit_id=unit.id if unit else None,
        label=f"{common_name} ({key_spec}, {store_kind})", key_spec=key_spec, store=store_kind,
        key_ref=credential_id, cert_der=cert.public_bytes(serialization.Encoding.DER),
        cert_serial=format(cert.serial_number, "x"), pin_hash=pin_hash, totp_secret=otp_secret,
        created_at=now,
    ))
    session.flush()
    session.add(IssuedCertificate(
        serial=format(cert.serial_number, "x"), credential_id=credential_id, subject=cert.subject.rfc4514_string(),
        not_before=cert.not_valid_before_utc, not_after=cert.not_valid_after_utc, issued_at=now,
    ))
    record(session, actor=actor, action="signing.enrolled", target=f"credential:{credential_id}",
           detail={"owner": user.username if user else (unit.code if unit else ""), "key": key_spec,
                   "store": store_kind, "serial": format(cert.serial_number, "x")},
           key=str(settings.secret_key))
    session.flush()
    return Enrolled(credential_id, cert.public_bytes(serialization.Encoding.PEM).decode(), otp_secret)


def enroll(session: Session, settings: Any, username: str, pin: str, *, key_spec: str | None = None,
           store: str | None = None, with_otp: bool = False, stores: KeyStores | None = None,
           actor: str = "system") -> Enrolled:
    """Give a person a new signing key and certificate protected by `pin` (in the caller's transaction)."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise EnrollmentError(f"không có người dùng {username!r} / no such user {username!r}")
    if not user.active:
        raise EnrollmentError(f"tài khoản {username!r} đã bị khóa / account {username!r} is inactive")
    return _issue(session, settings, user=user, unit=None, common_name=user.full_name,
                  title=user.position or None, unit_name=user.unit.name if user.unit else None, pin=pin,
                  key_spec=key_spec, store=store, with_otp=with_otp, stores=stores, actor=actor)


def enroll_unit(session: Session, settings: Any, unit_code: str, pin: str, *, key_spec: str | None = None,
                store: str | None = None, stores: KeyStores | None = None, actor: str = "system") -> Enrolled:
    """Give an organisation (e.g. 000.00.00.H41, UBND tỉnh Nghệ An) its signing key; its clerks use it."""
    unit = session.execute(select(Unit).where(Unit.code == unit_code)).scalar_one_or_none()
    if unit is None:
        raise EnrollmentError(f"không có đơn vị {unit_code!r} / no unit with code {unit_code!r}")
    return _issue(session, settings, user=None, unit=unit, common_name=unit.name, title=None, unit_name=None,
                  pin=pin, key_spec=key_spec, store=store, with_otp=False, stores=stores, actor=actor)
