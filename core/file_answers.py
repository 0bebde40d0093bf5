"""How a route that answers with a file (PDF, XML, image, video, certificate) says so in the OpenAPI schema:
`@router.get(..., response_class=Response, responses=file_answer("application/pdf"))`, so the schema names
the content types actually sent instead of JSON."""

from __future__ import annotations

from typing import Any


def file_answer(*media_types: str, status: int = 200, description: str = "the file") -> dict[int | str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {status: {"description": description, "content": {media: binary for media in media_types}}}
