"""Login sessions: one random token per login, kept only as its SHA-256, used as the page cookie
or as an API bearer token, revocable and expiring."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base
from core.people import User


class LoginSession(Base):
    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64), default="")


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, hours: int, ip: str = "") -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + timedelta(hours=hours)
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=expires, ip=ip))
    return token, expires


def user_for_token(session: Session, token: str) -> User | None:
    row = session.execute(
        select(User, LoginSession.expires_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _digest(token))
    ).first()
    if row is None:
        return None
    user, expires = row
    if _aware(expires) <= datetime.now(UTC) or not user.active:
        return None
    return user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
