"""Running the signing service as its own process (`giaoban up`, `giaoban signing serve`)."""

from __future__ import annotations

from typing import Any

import uvicorn

from signing.app import create_app


def run(settings: Any, host: str | None = None, port: int | None = None) -> None:
    """Serve the CSC API on the settings' signing host/port until interrupted (blocking)."""
    uvicorn.run(
        create_app(settings),
        host=host or settings.signing_host,
        port=port or settings.signing_port,
        log_level="warning",
        access_log=False,
        # Clients are on loopback; trusting X-Forwarded-For from there would let any of them choose the
        # address written to the audit log and dodge the per-address login limit.
        proxy_headers=False,
    )
