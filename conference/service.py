"""The conference area's background process for `giaoban up`: the media workers."""

from __future__ import annotations

from core.settings import Settings


def run(settings: Settings) -> None:
    from .media.service import run as run_media_workers

    run_media_workers(settings)
