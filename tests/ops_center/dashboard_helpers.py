"""Helpers for the dashboard tests: store worker signals as the ingest process does, read pushed states."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from core.db import engine_for, session_factory, session_scope
from ops_center.alerts.rules import DEFAULT_RULES
from ops_center.signals import record_signal


def store_signal(settings: Any, kind: str, payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Store a worker signal as the ingest process does; returns what it would publish."""
    with session_scope(session_factory(engine_for(settings.database_url), write=True)) as s:
        return record_signal(s, kind, payload, DEFAULT_RULES, {})


class Feed:
    """The dashboard socket as the page sees it: the latest state pushed so far.

    The server pushes a state only when it differs from the last one it sent, so two changes
    can arrive in one push: a wait for the second must look at the state already received,
    not only at the pushes after it. Heartbeats bound every wait.
    """

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.last: dict[str, Any] | None = None

    def first(self) -> dict[str, Any]:
        return self.until(lambda _: True)

    def until(self, predicate: Callable[[dict[str, Any]], Any], within: float = 30.0) -> dict[str, Any]:
        """The latest state once it satisfies ``predicate``; fails after ``within`` seconds of pushes."""
        if self.last is not None and predicate(self.last):
            return self.last
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            message = self.ws.receive_json()  # the server sends a heartbeat at least every HEARTBEAT_S
            if message["type"] != "state":
                continue
            self.last = message["state"]
            if predicate(self.last):
                return self.last
        raise AssertionError(f"the dashboard did not show the change within {within:.0f} s")
