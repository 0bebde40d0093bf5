"""How a route says in the OpenAPI schema which refusals it can give beyond those every route shares
(web.openapi adds 401/403/404/409/413/422/503 from the machinery all routes go through):

    @router.post("/{document_id}/attachments", openapi_extra=refusals(Kind.unsupported_type, Kind.too_large))

The areas name kinds of refusal (core.errors.Kind), never HTTP statuses: web.openapi turns each kind into
its status (web.errors.STATUS) and the one error shape, so the schema says what the route really answers."""

from __future__ import annotations

from typing import Any

from core.errors import Kind

KEY = "x-giaoban-refusals"  # read and removed by web.openapi; never reaches the published schema


def refusals(*kinds: Kind) -> dict[str, Any]:
    return {KEY: sorted(Kind(kind).value for kind in kinds)}
