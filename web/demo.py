"""`giaoban demo seed`: the province's units, the endpoints of the chosen unit set (the 26 district endpoints,
or the 130 communes and wards: `GIAOBAN_UNIT_SET`), one account per role, and whatever demo data each area
adds (meetings, documents, dossiers, cameras, signing certificates)."""

from __future__ import annotations

import os

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import engine_for, session_factory, session_scope
from core.people import User
from core.province import ensure_people, ensure_units, load_config
from core.settings import Settings
from web import areas

DEFAULT_DEMO_PASSWORD = "giaoban-demo"


def demo_password() -> str:
    return os.environ.get("GIAOBAN_DEMO_PASSWORD", DEFAULT_DEMO_PASSWORD)


def seed(settings: Settings) -> list[str]:
    """Idempotent: creates only what is missing. Returns lines worth printing."""
    factory = session_factory(engine_for(settings.database_url), write=True)
    config = load_config(unit_set=settings.unit_set)
    lines: list[str] = []
    with session_scope(factory) as session:
        units = ensure_units(session, config)
        created = ensure_people(session, config, units, demo_password())
        lines.append(f"units: {len(units)}, new accounts: {len(created)} (unit set: {settings.unit_set}, "
                     f"{len(config['endpoints'])} endpoints)")
    for area, module in areas.area_modules("demo"):
        with session_scope(factory) as session:
            lines.extend(f"{area}: {line}" for line in module.seed(session, settings))
    return lines


def demo_accounts(session: Session) -> list[User]:
    return list(session.execute(select(User).where(User.role != "endpoint").order_by(User.id)).scalars())
