"""Who may do what: FastAPI dependencies that every route declares. Authentication itself (cookie or
bearer token → `request.state.user`) is done once per request by the web layer's middleware, which
refuses anonymous requests before any handler runs; these dependencies then check the role."""

from __future__ import annotations

from fastapi import HTTPException, WebSocketException, status
from starlette.requests import HTTPConnection

from core.people import Role, User


class RoleCheck:
    """A dependency carrying the roles it admits, so tests can enumerate what every route allows."""

    def __init__(self, roles: frozenset[Role]) -> None:
        self.roles = roles

    def __call__(self, conn: HTTPConnection) -> User:
        user: User | None = getattr(conn.state, "user", None)
        socket = conn.scope["type"] == "websocket"
        if user is None:
            if socket:  # close codes 4401/4403 mirror HTTP 401/403 for WebSocket clients
                raise WebSocketException(4401, "login required")
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "Cần đăng nhập / login required",
                                headers={"WWW-Authenticate": "Bearer"})
        if Role(user.role) not in self.roles:
            if socket:
                raise WebSocketException(4403, "role not allowed")
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                "Vai trò của bạn không được phép thao tác này / your role may not do this")
        return user

    def __repr__(self) -> str:
        return f"RoleCheck({sorted(self.roles)})"


def require_roles(*roles: Role | str) -> RoleCheck:
    if not roles:
        raise ValueError("name at least one role")
    return RoleCheck(frozenset(Role(r) for r in roles))


any_user = RoleCheck(frozenset(Role))
# People working in the web interface, as opposed to endpoint devices' own accounts.
staff = RoleCheck(frozenset(Role) - {Role.endpoint})
