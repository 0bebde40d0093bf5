"""Rendering HTML pages: one Jinja environment over the templates of every package, with the
current person, the language and `t()` in every template."""

from __future__ import annotations

from typing import Any

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse

from core.i18n import language_of, translate
from core.local_time import clock_text, date_text, moment_text
from core.menu import menu_for

_env: Environment | None = None


def configure(packages: list[str]) -> Environment:
    """Called once by the web layer with the packages whose `templates/` folders hold pages."""
    global _env
    loaders = [PackageLoader(name, "templates") for name in packages]
    _env = Environment(loader=ChoiceLoader(loaders), autoescape=select_autoescape(["html"]))
    return _env


def render(request: Request, template: str, context: dict[str, Any] | None = None, status_code: int = 200,
           ) -> HTMLResponse:
    if _env is None:
        raise RuntimeError("core.pages.configure() has not been called")
    lang = language_of(request)
    user = getattr(request.state, "user", None)
    values = {
        "request": request,
        "user": user,
        "menu": menu_for(request, user),
        "lang": lang,
        "t": lambda key, **kw: translate(key, lang).format(**kw) if kw else translate(key, lang),
        "when": lambda moment, seconds=False: moment_text(moment, lang, seconds=seconds),
        "clock": lambda moment, seconds=False: clock_text(moment, seconds=seconds),
        "day": date_text,
        "path": request.url.path,
        **(context or {}),
    }
    response = HTMLResponse(_env.get_template(template).render(values), status_code=status_code)
    if request.query_params.get("lang") in ("vi", "en"):
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response
