"""Per-request plumbing for the signing service: the bearer-authenticated caller, rate limits and the
transaction that always keeps the audit entry of a refused call."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from core.login_sessions import Audience, user_for_token
from core.protocols.csc import CSCReason
from signing.caller import Caller, audit
from signing.errors import CSCError


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def current_caller(request: Request) -> Caller:
    """FastAPI dependency: the person behind the bearer token (a signing-audience token: from CSC auth/login,
    or made by the web process for a person signing there), rate limited per person."""
    state = request.app.state
    ip = client_ip(request)
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    caller: Caller | None = None
    if token:
        with state.read_sessions() as session:
            user = user_for_token(session, token, audience=Audience.signing)
            caller = Caller.of(user, ip) if user is not None else None
    if caller is None:
        if not state.anonymous_failures.allow(ip):
            raise CSCError(429, "rate_limited", "too many unauthenticated requests; slow down",
                           reason=CSCReason.rate_limited,
                           headers={"Retry-After": str(state.anonymous_failures.retry_after(ip))})
        with state.sessions() as session, session.begin():
            audit(session, state.settings, None, "signing.refused", ip=ip, reason=CSCReason.invalid_token,
                  path=request.url.path)
        raise CSCError(401, "invalid_token", reason=CSCReason.invalid_token,
                       description="Cần đăng nhập: thiếu hoặc sai access token / missing or invalid access "
                       "token (use auth/login)",
                       headers={"WWW-Authenticate": "Bearer"})
    if not state.per_person.allow(caller.username):
        raise CSCError(429, "rate_limited", reason=CSCReason.rate_limited,
                       description=f"rate limit of {state.config.requests_per_minute} requests per "
                       "minute reached; retry later",
                       headers={"Retry-After": str(state.per_person.retry_after(caller.username))})
    return caller


@contextmanager
def audited_transaction(request: Request, caller: Caller, operation: str, body: dict[str, Any]) -> Iterator[Session]:
    """Commit on success; on a CSC refusal keep what must survive (PIN counters, lock) plus an audit
    entry saying who was refused what, and roll back everything else on server-side failures."""
    state = request.app.state
    session: Session = state.sessions()
    try:
        yield session
        session.commit()
    except CSCError as exc:
        if exc.status >= 500:
            session.rollback()
        hashes = body.get("hash")
        audit(session, state.settings, caller, f"signing.{operation}.refused",
              credential=str(body.get("credentialID") or "")[:40], reason=exc.reason,
              description=exc.description[:300],
              hashes=hashes if isinstance(hashes, list) else ([hashes] if hashes else []))
        session.commit()
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
