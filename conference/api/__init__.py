"""The conference area's routes, mounted by the web layer: one router module per resource under
`conference/api/routes/`."""

from __future__ import annotations

from conference.api.routes.meetings import router

__all__ = ["router"]
