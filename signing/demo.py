"""Demo signing credentials for `giaoban demo seed`: the provincial CA, one credential per demo person
(endpoints excluded) and the organisation's (UBND tỉnh Nghệ An), all with the demo PIN."""

from __future__ import annotations

import os
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.people import User
from core.province import load_config
from core.units import Unit
from signing.ca import ensure_ca
from signing.enrollment import enroll, enroll_unit
from signing.models import SigningCredential

DEFAULT_DEMO_PIN = "123456"


def demo_pin() -> str:
    return os.environ.get("GIAOBAN_DEMO_SIGNING_PIN", DEFAULT_DEMO_PIN)


def seed(session: Session, settings: Any) -> list[str]:
    """Idempotent: people and units that already hold a credential are left alone."""
    ca = ensure_ca(settings)
    pin = demo_pin()
    have_user = set(session.execute(select(SigningCredential.user_id).where(SigningCredential.user_id.is_not(None)))
                    .scalars())
    have_unit = set(session.execute(select(SigningCredential.unit_id).where(SigningCredential.unit_id.is_not(None)))
                    .scalars())
    people = session.execute(select(User).where(User.role != "endpoint", User.active.is_(True))
                             .order_by(User.id)).scalars().all()
    enrolled = [enroll(session, settings, u.username, pin, actor="demo-seed").credential_id
                for u in people if u.id not in have_user]
    province_code = load_config()["province"]["code"]
    province = session.execute(select(Unit).where(Unit.code == province_code)).scalar_one_or_none()
    organisation = 0
    if province is not None and province.id not in have_unit:
        enroll_unit(session, settings, province_code, pin, actor="demo-seed")
        organisation = 1
    return [f"CA: {ca.root.cert.subject.rfc4514_string()}",
            f"signing credentials: {len(enrolled)} people, {organisation} organisation (PIN {pin})"]
