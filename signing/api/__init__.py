"""The signing area's routes. The web process mounts `router` (a person's credentials under /api/signing);
the signing service (`signing/app.py`) serves `routes.csc`, `routes.pki` and `routes.admin`."""

from __future__ import annotations

from signing.api.routes.credentials import router

__all__ = ["router"]
