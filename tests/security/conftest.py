"""Security tests share the dossier catalog fixture."""

from __future__ import annotations

import pytest

from core.db import engine_for, session_factory, session_scope
from documents.dossiers.catalog import ensure_procedures


@pytest.fixture
def catalog(settings) -> None:  # type: ignore[no-untyped-def]
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        ensure_procedures(s)
