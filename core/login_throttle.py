"""Throttling wrong passwords, per address and per account name, stored in the database so that every
door into the system (the web login, the signing service's auth/login, each its own process) counts
the same failures and honours the same locks.

- An address with `throttle_failures` wrong logins within WINDOW (whatever the names) waits 1 minute,
  twice as long after each further failure, at most an hour. During the wait its attempts are refused
  without checking a password, so they count against no account.
- An account name with `lockout_failures` wrong passwords within WINDOW coming from at least
  `lockout_addresses` addresses (a distributed attack: one address only ever throttles itself) is
  locked for `lockout_minutes`, twice as long for each lock within a day, at most a day; the lock does
  not apply at addresses where the account logged in within TRUSTED_FOR.
- Names are counted whether or not an account has them, so a lock says nothing about whether a name
  exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, Integer, String, delete, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from core.db import Base

WINDOW = timedelta(minutes=15)
TRUSTED_FOR = timedelta(days=30)
KEPT_FOR = timedelta(days=30)  # failures are kept this long for the notice at the person's next login
ADDRESS_WAIT = timedelta(minutes=1)
ADDRESS_WAIT_MAX = timedelta(hours=1)
ACCOUNT_LOCK_MAX = timedelta(days=1)
LOCKS_REMEMBERED = timedelta(days=1)  # a lock within this time of the previous one lasts twice as long


class LoginFailure(Base):
    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    username: Mapped[str] = mapped_column(String(64), index=True)  # as typed; no account needed
    address: Mapped[str] = mapped_column(String(64), index=True)
    door: Mapped[str] = mapped_column(String(16))


class LoginAddress(Base):
    """Where an account last logged in from: its own locks do not apply there."""

    __tablename__ = "login_addresses"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_login_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginLock(Base):
    """A throttled address (`address:IP`) or a locked account name (`account:NAME`)."""

    __tablename__ = "login_locks"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    level: Mapped[int] = mapped_column(Integer, default=0)
    locked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class LoginPolicy:
    throttle_failures: int
    lockout_failures: int
    lockout_addresses: int
    lockout_minutes: int

    @classmethod
    def of(cls, settings: object) -> LoginPolicy:
        return cls(settings.throttle_failures, settings.lockout_failures,
                   settings.lockout_addresses, settings.lockout_minutes)


@dataclass(frozen=True)
class Lock:
    key: str
    minutes: int
    level: int
    failures: int
    addresses: int


def address_key(address: str) -> str:
    return f"address:{address}"[:80]


def account_key(username: str) -> str:
    return f"account:{username}"[:80]


def aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def locked_until(session: Session, key: str, now: datetime) -> datetime | None:
    lock = session.get(LoginLock, key)
    if lock is None or aware(lock.locked_until) <= now:
        return None
    return aware(lock.locked_until)


def trusted(session: Session, user_id: int | None, address: str, now: datetime) -> bool:
    if user_id is None:
        return False
    seen = session.get(LoginAddress, (user_id, address))
    return seen is not None and aware(seen.last_login_at) > now - TRUSTED_FOR


def _lock(session: Session, key: str, now: datetime, base: timedelta, longest: timedelta, failures: int,
          addresses: int) -> Lock:
    lock = session.get(LoginLock, key, with_for_update=True)
    if lock is None:
        lock = LoginLock(key=key, level=0, locked_at=now, locked_until=now)
        session.add(lock)
    level = lock.level + 1 if lock.level and aware(lock.locked_at) > now - LOCKS_REMEMBERED else 1
    wait = min(base * 2 ** (level - 1), longest)
    lock.level, lock.locked_at, lock.locked_until = level, now, now + wait
    session.flush()
    return Lock(key, int(wait.total_seconds() // 60) or 1, level, failures, addresses)


def count_failure(session: Session, policy: LoginPolicy, *, username: str, address: str, door: str,
                  now: datetime) -> list[Lock]:
    """Store one wrong login; returns the locks it set (the address's, the name's or none)."""
    session.add(LoginFailure(at=now, username=username, address=address, door=door))
    session.execute(delete(LoginFailure).where(LoginFailure.at < now - KEPT_FOR))
    session.flush()
    since = now - WINDOW
    locks = []
    from_address = session.execute(select(func.count()).select_from(LoginFailure).where(
        LoginFailure.address == address, LoginFailure.at >= since)).scalar_one()
    if from_address >= policy.throttle_failures:
        locks.append(_lock(session, address_key(address), now, ADDRESS_WAIT, ADDRESS_WAIT_MAX, from_address, 1))
    failures, addresses = session.execute(
        select(func.count(), func.count(LoginFailure.address.distinct()))
        .where(LoginFailure.username == username, LoginFailure.at >= since)).one()
    if (failures >= policy.lockout_failures and addresses >= policy.lockout_addresses
            and locked_until(session, account_key(username), now) is None):
        locks.append(_lock(session, account_key(username), now, timedelta(minutes=policy.lockout_minutes),
                           ACCOUNT_LOCK_MAX, failures, addresses))
    return locks


def count_login(session: Session, *, user_id: int, address: str, now: datetime) -> datetime | None:
    """Remember the address of a successful login; returns the account's previous login, if any."""
    previous = session.execute(select(func.max(LoginAddress.last_login_at))
                               .where(LoginAddress.user_id == user_id)).scalar_one_or_none()
    seen = session.get(LoginAddress, (user_id, address))
    if seen is None:
        session.add(LoginAddress(user_id=user_id, address=address, last_login_at=now))
    else:
        seen.last_login_at = now
    return aware(previous) if previous is not None else None


# Wrong passwords typed at the same address just before a successful login are the person's own typing,
# not news to tell them about.
OWN_TYPING = timedelta(minutes=10)


def failures_since(session: Session, username: str, since: datetime, *, address: str,
                   now: datetime) -> tuple[int, list[str]]:
    """Wrong logins for a name since a moment, leaving out the person's own typing at `address` just now:
    how many, and from which addresses."""
    own = (LoginFailure.address == address) & (LoginFailure.at > now - OWN_TYPING)
    rows = session.execute(select(LoginFailure.address, func.count()).where(
        LoginFailure.username == username, LoginFailure.at > since, ~own).group_by(LoginFailure.address)).all()
    return sum(n for _, n in rows), sorted(address for address, _ in rows)


def unlock(session: Session, username: str) -> None:
    """An administrator lifts an account's lock and forgets its failures."""
    session.execute(delete(LoginLock).where(LoginLock.key == account_key(username)))
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
