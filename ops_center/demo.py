"""Demo data: cameras pointing at the synthetic feeds that `giaoban up` serves on loopback."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.settings import Settings
from core.units import Unit
from ops_center.config import get_ops_settings
from ops_center.models import Camera
from ops_center.synthetic import BANNER_MASK, DEMO_CAMERAS


def seed(session: Session, settings: Settings) -> list[str]:
    if session.execute(select(func.count()).select_from(Camera)).scalar_one():
        return []
    ops = get_ops_settings()
    province = session.execute(select(Unit).where(Unit.kind == "province")).scalars().first()
    base = f"http://127.0.0.1:{ops.synthetic_port}/cam"
    for i, (name, location) in enumerate(DEMO_CAMERAS[:ops.synthetic_count], start=1):
        session.add(Camera(name=name, location=location, unit=province, stream_url=f"{base}/cam{i}/main.mjpg",
                           substream_url=f"{base}/cam{i}/sub.mjpg", zones=[], masks=[BANNER_MASK]))
    count = min(len(DEMO_CAMERAS), ops.synthetic_count)
    return [f"{count} camera mô phỏng / synthetic cameras at {base}/camN/main.mjpg"]
