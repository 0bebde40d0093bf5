"""Logging in and out at the web door: the password check, throttling and audit are core.authentication's
(shared with the signing service's login); sessions for pages (cookie) and API clients (bearer token)."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from core.access import any_user
from core.audit import record
from core.authentication import Authenticated, Door, LoginRefused, Refusal, authenticate
from core.i18n import language_of, translate
from core.login_sessions import Audience, close_session
from core.login_throttle import LoginPolicy
from core.pages import render
from core.people import User
from core.request_db import db
from web.authn import COOKIE, token_from

router = APIRouter()


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def _refusal(refused: LoginRefused, lang: str) -> tuple[int, str, dict[str, str]]:
    """The HTTP answer to a refused login: a wrong password and a locked name answer alike (401)."""
    if refused.reason == Refusal.throttled:
        minutes = max(1, (refused.retry_after_s + 59) // 60)
        return 429, translate("auth.throttled", lang).format(minutes=minutes), {
            "Retry-After": str(refused.retry_after_s)}
    if refused.reason == Refusal.inactive:
        return 403, translate("auth.inactive", lang), {}
    return 401, translate("auth.bad_credentials", lang), {}


def _authenticate(request: Request, username: str, password: str) -> Authenticated:
    state = request.app.state
    settings = state.settings
    return authenticate(state.sessionmaker, state.write_sessionmaker, username=username, password=password,
                        address=request.client.host if request.client else "", door=Door.web,
                        audience=Audience.web, lifetime=timedelta(hours=settings.session_hours),
                        policy=LoginPolicy.of(settings), key=settings.secret_key)


def _notice_text(ok: Authenticated, lang: str) -> str:
    assert ok.notice is not None
    return translate("auth.notice", lang).format(failed=ok.notice.failed, addresses=", ".join(ok.notice.addresses))


def user_json(user: User) -> dict[str, object]:
    return {"id": user.id, "username": user.username, "full_name": user.full_name, "position": user.position,
            "role": user.role, "unit": user.unit.code if user.unit else None,
            "unit_name": user.unit.short_name if user.unit else None}


def _set_cookie(request: Request, response: Response, ok: Authenticated) -> None:
    response.set_cookie(COOKIE, ok.token, expires=ok.expires, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")


@router.post("/api/auth/login", tags=["auth"])
def api_login(body: LoginRequest, request: Request) -> Response:
    """Log in with a password: returns a bearer token for API clients and sets the page cookie; `notice` tells
    of wrong logins to the account since the previous login (null if none)."""
    lang = language_of(request)
    try:
        ok = _authenticate(request, body.username, body.password)
    except LoginRefused as refused:
        status, message, headers = _refusal(refused, lang)
        return JSONResponse({"detail": message}, status_code=status, headers=headers)
    with request.app.state.sessionmaker() as session:
        person = user_json(session.get(User, ok.user_id))
    response = JSONResponse({"access_token": ok.token, "token_type": "bearer", "expires_at": ok.expires.isoformat(),
                             "user": person, "notice": ok.notice.as_json() if ok.notice else None})
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
               next: str = Form(default="/")) -> Response:
    lang = language_of(request)
    try:
        ok = _authenticate(request, username, password)
    except LoginRefused as refused:
        status, message, headers = _refusal(refused, lang)
        response = render(request, "web/login.html", {"next": _safe_next(next), "error": message,
                                                      "username": username}, status_code=status)
        response.headers.update(headers)
        return response
    if ok.notice is not None:
        # The person is told of the wrong logins before going on.
        response = render(request, "web/login_notice.html", {"next": _safe_next(next),
                                                             "notice": _notice_text(ok, lang)})
    else:
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
