"""Checking a person's password: one service for every door into the system (the web login and the
signing service's CSC auth/login), so that both throttle and lock the same way (core.login_throttle)
and write the same audit entries, each with the door it came through:

- `auth.login` (with `notice`: wrong logins since the previous one), `auth.failed`,
- `auth.throttled` (an address must wait), `auth.locked` (an account name is locked),
- `auth.refused_locked`, `auth.refused_inactive`.

A locked name is refused exactly as a wrong password is, after the same password-hashing work, so the
answers do not tell whether a name exists or is locked. The operations center raises an alert for the
administrators from the `auth.throttled` and `auth.locked` entries, and the person is told at their
next login what happened meanwhile (`Notice`).

Usage::

    ok = authenticate(read, write, username=..., password=..., address=ip, door=Door.web,
                      audience=Audience.web, lifetime=timedelta(hours=12), policy=LoginPolicy.of(settings))
    # ok.token, ok.expires, ok.user_id, ok.notice; or LoginRefused(reason, retry_after_s)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from core.audit import record
from core.login_sessions import Audience, open_session
from core.login_throttle import (
    LoginPolicy,
    account_key,
    address_key,
    count_failure,
    count_login,
    failures_since,
    locked_until,
    trusted,
)
from core.passwords import verify_password
from core.people import User


class Door(StrEnum):
    web = "web"
    signing = "signing"


class Refusal(StrEnum):
    bad_credentials = "bad_credentials"  # a wrong name or password, or a locked name: not told apart
    throttled = "throttled"  # this address made too many wrong logins and must wait
    inactive = "inactive"  # the right password for a disabled account


class LoginRefused(Exception):
    def __init__(self, reason: Refusal, retry_after_s: int = 0) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class Notice:
    """What the person should know at login: wrong logins for their account since their previous login."""

    failed: int
    addresses: list[str]
    since: datetime | None

    def as_json(self) -> dict[str, object]:
        return {"failed_logins": self.failed, "addresses": self.addresses,
                "since": self.since.isoformat() if self.since else None}


@dataclass(frozen=True)
class Authenticated:
    user_id: int
    username: str
    token: str
    expires: datetime
    notice: Notice | None


def authenticate(read: sessionmaker[Session], write: sessionmaker[Session], *, username: str, password: str,
                 address: str, door: Door, audience: Audience, lifetime: timedelta, policy: LoginPolicy,
                 key: str | None = None) -> Authenticated:
    """Check the password and open a session of `audience`; raises LoginRefused. The slow password hash
    is computed outside any transaction, so it never holds SQLite's write lock."""
    name, address = username[:64], address[:64]
    now = datetime.now(UTC)
    with read() as session:
        address_wait = locked_until(session, address_key(address), now)
        row = session.execute(select(User.id, User.password_hash).where(User.username == name)).first()
        user_id = row.id if row is not None else None
        name_locked = (locked_until(session, account_key(name), now) is not None
                       and not trusted(session, user_id, address, now))
    if address_wait is not None:
        raise LoginRefused(Refusal.throttled, int((address_wait - now).total_seconds()) + 1)
    # Always the same hashing work: the answer's timing tells neither whether the name exists nor a lock.
    password_ok = verify_password(row.password_hash if row is not None else None, password)
    detail = {"door": door.value}
    if name_locked:
        with write() as session, session.begin():
            record(session, actor=name, action="auth.refused_locked", ip=address, detail=detail, key=key)
        raise LoginRefused(Refusal.bad_credentials)
    if row is None or not password_ok:
        with write() as session, session.begin():
            record(session, actor=name, action="auth.failed", ip=address, detail=detail, key=key)
            for lock in count_failure(session, policy, username=name, address=address, door=door.value, now=now):
                action = "auth.throttled" if lock.key.startswith("address:") else "auth.locked"
                record(session, actor=name, action=action, ip=address, key=key, detail=detail | {
                    "minutes": lock.minutes, "level": lock.level, "failures": lock.failures,
                    "addresses": lock.addresses, "address": address})
        raise LoginRefused(Refusal.bad_credentials)
    with write() as session, session.begin():
        user = session.get(User, row.id)
        if user is None or not user.active:
            record(session, actor=name, action="auth.refused_inactive", ip=address, detail=detail, key=key)
            inactive = True
        else:
            inactive = False
            previous = count_login(session, user_id=user.id, address=address, now=now)
            failed, addresses = failures_since(session, name, previous or now - timedelta(days=30),
                                               address=address, now=now)
            notice = Notice(failed, addresses, previous) if failed else None
            token, expires = open_session(session, user, audience=audience, lifetime=lifetime, ip=address)
            record(session, actor=name, action="auth.login", ip=address, key=key,
                   detail=detail | ({"notice": notice.as_json()} if notice else {}))
    if inactive:
        raise LoginRefused(Refusal.inactive)
    return Authenticated(row.id, name, token, expires, notice)
