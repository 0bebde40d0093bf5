"""Helpers for the dashboard tests: store worker signals as the ingest process does, read pushed states."""

from __future__ import annotations

from typing import Any

from core.db import engine_for, session_factory, session_scope
from ops_center.alerts.rules import DEFAULT_RULES
from ops_center.signals import record_signal


def store_signal(settings: Any, kind: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Store a worker signal as the ingest process does; returns what it would publish."""
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        return record_signal(s, kind, payload, DEFAULT_RULES, {})


def next_state(ws: Any, predicate: Any, tries: int = 10) -> dict[str, Any]:
    """The first state pushed on the dashboard socket that satisfies ``predicate``."""
    for _ in range(tries):
        state = ws.receive_json()["state"]
        if predicate(state):
            return state
    raise AssertionError("the dashboard never showed the change")
