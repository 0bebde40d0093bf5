"""Login sessions: one random token per login, kept only as its SHA-256, revocable and expiring. Each
token has its audience: a web token (page cookie or API bearer token) is refused by the signing service,
and a signing-service token (CSC auth/login) is refused by the web app."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, String, delete, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from core.db import Base
from core.people import User


class Audience(StrEnum):
    web = "web"  # the web app and its API
    signing = "signing"  # the signing service's CSC API


class LoginSession(Base):
    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ip: Mapped[str] = mapped_column(String(64), default="")
    audience: Mapped[str] = mapped_column(String(16), default=Audience.web.value)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(session: Session, user: User, *, audience: Audience, lifetime: timedelta,
                 ip: str = "") -> tuple[str, datetime]:
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires = now + lifetime
    session.add(LoginSession(token_hash=_digest(token), user_id=user.id, created_at=now, expires_at=expires, ip=ip,
                             audience=audience.value))
    return token, expires


def user_for_token(session: Session, token: str, *, audience: Audience) -> User | None:
    """The active person behind a token of this audience, or None."""
    row = session.execute(
        select(User, LoginSession.expires_at)
        .join(LoginSession, LoginSession.user_id == User.id)
        .where(LoginSession.token_hash == _digest(token), LoginSession.audience == audience.value)
    ).first()
    if row is None:
        return None
    user, expires = row
    if _aware(expires) <= datetime.now(UTC) or not user.active:
        return None
    return user


def close_session(session: Session, token: str) -> None:
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _digest(token)))


@contextmanager
def delegated_token(write: sessionmaker[Session], user: User, *, audience: Audience, lifetime: timedelta,
                    ip: str = "") -> Iterator[str]:
    """A short-lived token of another audience for a person already logged in here, for calls made on their
    behalf (the web process signing minutes through the signing service); committed before it is used (the
    other service reads it from the database) and closed afterwards."""
    with write() as session, session.begin():
        token, _ = open_session(session, user, audience=audience, lifetime=lifetime, ip=ip)
    try:
        yield token
    finally:
        with write() as session, session.begin():
            close_session(session, token)


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; everything is stored in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
