"""People who use giaoban and the roles that decide what they may see and do."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import Base
from core.units import Unit


class Role(StrEnum):
    admin = "admin"
    chair = "chair"  # chủ tọa / leader who directs documents and chairs meetings
    secretary = "secretary"  # thư ký
    clerk = "clerk"  # văn thư
    specialist = "specialist"  # chuyên viên
    officer = "officer"  # cán bộ một cửa (one-stop desk)
    operator = "operator"  # vận hành, operations center
    endpoint = "endpoint"  # a district meeting endpoint's own account


ROLE_LABELS: dict[Role, tuple[str, str]] = {
    Role.admin: ("Quản trị", "Administrator"),
    Role.chair: ("Chủ tọa / Lãnh đạo", "Chair / leader"),
    Role.secretary: ("Thư ký", "Secretary"),
    Role.clerk: ("Văn thư", "Clerk"),
    Role.specialist: ("Chuyên viên", "Specialist"),
    Role.officer: ("Cán bộ một cửa", "One-stop officer"),
    Role.operator: ("Vận hành", "Operator"),
    Role.endpoint: ("Điểm cầu", "Meeting endpoint"),
}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    position: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(20))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), default=None)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    def __repr__(self) -> str:
        return f"User({self.username}, {self.role})"
