"""Logging in and out: password check with lockout after repeated failures, sessions for pages
(cookie) and API clients (bearer token), every outcome in the audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.access import any_user
from core.audit import record
from core.i18n import language_of, translate
from core.login_sessions import close_session, open_session
from core.pages import render
from core.passwords import verify_password
from core.people import User
from core.request_db import db
from web.authn import COOKIE, token_from

router = APIRouter()


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginRefused(Exception):
    def __init__(self, status: int, key: str, minutes: int = 0) -> None:
        self.status, self.key, self.minutes = status, key, minutes


@dataclass(frozen=True)
class LoginOk:
    user: User
    token: str
    expires: datetime


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _check_password(request: Request, username: str, password: str) -> tuple[int | None, bool]:
    """The slow Argon2 check, done in a read-only session so it never holds SQLite's write lock."""
    with request.app.state.sessionmaker() as reader:
        row = reader.execute(select(User.id, User.password_hash).where(User.username == username)).first()
    if row is None:
        verify_password(None, password)  # same cost as a real check, so timing does not reveal accounts
        return None, False
    return row.id, verify_password(row.password_hash, password)


def authenticate(request: Request, session: Session, username: str, password: str) -> LoginOk:
    """Check the password; count failures and lock the account after the configured number."""
    settings = request.app.state.settings
    ip = request.client.host if request.client else ""
    user_id, password_ok = _check_password(request, username, password)
    now = datetime.now(UTC)
    user = session.get(User, user_id) if user_id is not None else None
    if user is not None and user.locked_until and _aware(user.locked_until) > now:
        record(session, actor=username, action="auth.refused_locked", ip=ip)
        minutes = max(1, int((_aware(user.locked_until) - now).total_seconds() // 60) + 1)
        raise LoginRefused(423, "auth.locked", minutes)
    if user is None or not password_ok:
        if user is not None:
            user.failed_logins += 1
            if user.failed_logins >= settings.lockout_failures:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user.failed_logins = 0
                record(session, actor=username, action="auth.locked", ip=ip,
                       detail={"minutes": settings.lockout_minutes, "after_failures": settings.lockout_failures})
        record(session, actor=username[:64], action="auth.failed", ip=ip)
        raise LoginRefused(401, "auth.bad_credentials")
    if not user.active:
        record(session, actor=username, action="auth.refused_inactive", ip=ip)
        raise LoginRefused(403, "auth.inactive")
    user.failed_logins, user.locked_until = 0, None
    token, expires = open_session(session, user, settings.session_hours, ip)
    record(session, actor=username, action="auth.login", ip=ip)
    return LoginOk(user, token, expires)


def user_json(user: User) -> dict[str, object]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "position": user.position,
            "role": user.role, "unit": user.unit.code if user.unit else None,
            "unit_name": user.unit.short_name if user.unit else None}


def _set_cookie(request: Request, response: Response, ok: LoginOk) -> None:
    response.set_cookie(COOKIE, ok.token, expires=ok.expires, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


@router.post("/api/auth/login", tags=["auth"])
def api_login(body: LoginRequest, request: Request, session: Session = Depends(db)) -> Response:
    """Log in with a password: returns a bearer token for API clients and sets the page cookie."""
    lang = language_of(request)
    try:
        ok = authenticate(request, session, body.username, body.password)
    except LoginRefused as refused:
        session.commit()  # failure counters and audit entries must survive the refusal
        return JSONResponse({"detail": translate(refused.key, lang).format(minutes=refused.minutes)},
                            status_code=refused.status)
    response = JSONResponse({"access_token": ok.token, "token_type": "bearer",
                             "expires_at": ok.expires.isoformat(), "user": user_json(ok.user)})
    _set_cookie(request, response, ok)
    return response


@router.get("/api/auth/me", tags=["auth"])
def me(user: User = Depends(any_user)) -> dict[str, object]:
    return user_json(user)


@router.post("/api/auth/logout", tags=["auth"])
def api_logout(request: Request, session: Session = Depends(db), user: User = Depends(any_user)) -> Response:
    token = token_from(request.scope)
    if token:
        close_session(session, token)
    record(session, actor=user.username, action="auth.logout", ip=request.client.host if request.client else "")
    response = JSONResponse({"status": "logged out"})
    response.delete_cookie(COOKIE)
    return response


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing aid.
    if not target or not target.startswith("/") or target.startswith("//") or urlparse(target).netloc:
        return "/"
    return target


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "web/login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", include_in_schema=False)
def login_form(request: Request, username: str = Form(max_length=64), password: str = Form(max_length=256),
               next: str = Form(default="/"), session: Session = Depends(db)) -> Response:
    lang = language_of(request)
    try:
        ok = authenticate(request, session, username, password)
    except LoginRefused as refused:
        session.commit()
        message = translate(refused.key, lang).format(minutes=refused.minutes)
        return render(request, "web/login.html", {"next": _safe_next(next), "error": message, "username": username},
                      status_code=refused.status)
    response = RedirectResponse(_safe_next(next), status_code=303)
    _set_cookie(request, response, ok)
    return response


@router.post("/logout", include_in_schema=False)
def logout_form(request: Request, session: Session = Depends(db), user: User = Depends(any_user)) -> Response:
    token = token_from(request.scope)
    if token:
        close_session(session, token)
    record(session, actor=user.username, action="auth.logout", ip=request.client.host if request.client else "")
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response
