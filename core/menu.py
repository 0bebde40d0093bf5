"""The main menu and the home page's tiles: the pages a person may open, derived from the role checks
(core.access.RoleCheck) that the page routes themselves declare. There is no second list of who may
open what: a route that changes its roles changes the menu with it.

    menu_for(request, user)  ->  [MenuEntry("/meetings", "nav.meetings", "home.meetings_hint"), ...]"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi.routing import APIRoute, iter_route_contexts
from starlette.requests import Request

from core.access import RoleCheck
from core.people import Role, User


@dataclass(frozen=True)
class MenuEntry:
    href: str
    label: str  # phrase key (core.i18n)
    hint: str  # phrase key of the home page tile's line


# The order people find them in; who sees each is read from the route at `href`.
ENTRIES = (
    MenuEntry("/meetings", "nav.meetings", "home.meetings_hint"),
    MenuEntry("/ops", "nav.ops", "home.ops_hint"),
    MenuEntry("/documents", "nav.documents", "home.documents_hint"),
    MenuEntry("/dossiers", "nav.dossiers", "home.dossiers_hint"),
    MenuEntry("/minutes", "nav.minutes", "home.minutes_hint"),
    MenuEntry("/endpoints", "nav.endpoints", "home.endpoints_hint"),
)
_CACHE = "menu_roles"


def _role_checks(dependant: Any) -> list[RoleCheck]:
    found = [dependant.call] if isinstance(dependant.call, RoleCheck) else []
    for sub in dependant.dependencies:
        found += _role_checks(sub)
    return found


def admitted_roles(app: Any, href: str) -> frozenset[Role]:
    """The roles every role check of the GET route at `href` admits; none when no such page is mounted."""
    for route in iter_route_contexts(app.routes):  # as served: included routers' prefixes and dependencies
        if (isinstance(route.original_route, APIRoute) and route.path == href
                and "GET" in route.original_route.methods):
            roles = frozenset(Role)
            for check in _role_checks(route.dependant):
                roles &= check.roles
            return roles
    return frozenset()


def _table(app: Any) -> dict[str, frozenset[Role]]:
    table: dict[str, frozenset[Role]] | None = getattr(app.state, _CACHE, None)
    if table is None:  # routes do not change once the app serves
        table = {entry.href: admitted_roles(app, entry.href) for entry in ENTRIES}
        setattr(app.state, _CACHE, table)
    return table


def menu_for(request: Request, user: User | None) -> list[MenuEntry]:
    if user is None:
        return []
    table = _table(request.app)
    return [entry for entry in ENTRIES if Role(user.role) in table[entry.href]]
