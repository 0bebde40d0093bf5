"""Fixtures for the conference tests: the media workers, started the way `giaoban up` starts them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import Settings


@pytest.fixture
def media_workers(settings: Settings) -> Iterator[int]:
    """`settings.media_workers` worker processes on the run directory the web process looks in."""
    from conference.media.service import WorkerPool, media_run_dir

    pool = WorkerPool(media_run_dir(settings.var_dir), settings.media_workers)
    pool.start()
    yield settings.media_workers
    pool.stop()
