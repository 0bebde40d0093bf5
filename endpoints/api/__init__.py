"""The endpoints area's routes, mounted by the web layer: one router module per resource under
`endpoints/api/routes/`."""

from __future__ import annotations

from endpoints.api.routes.registry import router

__all__ = ["router"]
