"""The page shell's own routes: the home page and the API documentation (behind login, served from
vendored Swagger UI because the government network has no internet)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from sqlalchemy.orm import Session

from conference.scheduling import invited_meetings
from core.access import any_user, staff
from core.pages import render
from core.people import ROLE_LABELS, Role, User
from core.request_db import db

router = APIRouter(include_in_schema=False)
SWAGGER = "/static/web/vendor/swagger-ui-5.35.0"


@router.get("/")
def home(request: Request, user: User = Depends(any_user), session: Session = Depends(db)) -> Response:
    """The menu's pages as tiles; for a meeting endpoint the meeting in progress it is invited to, with the one
    button that matters (enter the room), and the meetings still to come."""
    vi, en = ROLE_LABELS[Role(user.role)]
    meetings = invited_meetings(session, user) if Role(user.role) == Role.endpoint else []
    return render(request, "web/home.html", {
        "role_label": {"vi": vi, "en": en}, "is_endpoint": Role(user.role) == Role.endpoint,
        "live": [m for m in meetings if m.status == "live"],
        "upcoming": [m for m in meetings if m.status != "live"]})


@router.get("/docs")
def docs(request: Request, user: User = Depends(staff)) -> HTMLResponse:
    # Swagger UI started from a file, not an inline script, so the page runs under the Content-Security-Policy.
    return HTMLResponse(f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>giaoban API</title>
<link rel="stylesheet" href="{SWAGGER}/swagger-ui.css"><link rel="icon" href="/favicon.ico"></head>
<body><div id="swagger-ui"></div>
<script src="{SWAGGER}/swagger-ui-bundle.js"></script>
<script src="/static/web/swagger-init.js"></script></body></html>""")


@router.get("/openapi.json")
def openapi(request: Request, user: User = Depends(staff)) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/favicon.ico")
def favicon() -> Response:
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" '
           'fill="#c8102e"/><path d="M8 3l1.2 3.6H13l-3 2.2 1.1 3.6L8 10.2 4.9 12.4 6 8.8 3 6.6h3.8z" '
           'fill="#ffcd00"/></svg>')
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"})
