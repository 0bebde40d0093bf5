"""The dashboard's figures from the other areas, read through functions they provide.

Pull: the areas offer functions taking a read session and returning JSON-able
dicts; the operations center never reads another area's tables itself, nor imports
the other areas: the composition root (`web/wiring.py`) hands it these functions
with `provide(...)`:

- ``conference.kpi.snapshot(session)``: the meeting in progress, endpoints connected
  and missing, link quality, who speaks;
- ``documents.dossiers.kpi.snapshot(session, period)``: received, resolved early /
  on time / late, in progress, on-time rate, by unit;
- ``documents.dossiers.kpi.about_to_be_late(session, within_working_days)``: feeds the
  "dossier about to be late" alerts;
- ``documents.kpi.snapshot(session)``: incoming received today, awaiting
  direction, overdue by unit. Without it the dashboard shows a tally of today's
  ``documents.*`` bus events instead, marked as such.

Push: the areas publish on the bus (``documents.*``, ``dossiers.*``,
``conference.*``); the dashboard re-reads the figures when such an event comes.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from ops_center.config import get_ops_settings

log = logging.getLogger(__name__)

Provider = Callable[..., Any]
# The dashboard's blocks, each filled by the function an area provides (none: "not available").
BLOCKS = ("documents", "dossiers", "conference")
_providers: dict[str, Provider] = {}
# Bus topics after which the figures are read again.
KPI_TOPICS = ("documents.", "dossiers.", "conference.")


def provide(*, documents: Provider | None = None, dossiers: Provider | None = None,
            conference: Provider | None = None, dossiers_due: Provider | None = None) -> None:
    """Called once at start-up by the composition root: each block's function (`session, **options -> dict`),
    and `dossiers_due(session, within_working_days) -> list` for the alerts on dossiers about to be late."""
    given = {"documents": documents, "dossiers": dossiers, "conference": conference, "dossiers_due": dossiers_due}
    _providers.update({name: func for name, func in given.items() if func is not None})


def provider(name: str) -> Provider | None:
    """The function provided for a block (or `dossiers_due`), None if no area provides it."""
    return _providers.get(name)


# Periods an operator can pick for the dossier figures; "all" spans everything on record.
DOSSIER_PERIODS = ("today", "week", "month", "year", "all")


def dossier_period(choice: str | None) -> str:
    """The dossiers area's period string for an operator's choice (default: the configured one)."""
    choice = choice if choice in DOSSIER_PERIODS else get_ops_settings().dossier_period
    if choice == "all":
        return f"2000-01-01..{time.strftime('%Y-%m-%d', time.gmtime(time.time() + 7 * 3600))}"
    return choice


def collect(session: Session, tally: DocumentTally | None = None, period: str | None = None) -> dict[str, Any]:
    """Every block's figures; a block whose provider is missing or failing says so."""
    out: dict[str, Any] = {}
    for block in BLOCKS:
        read = provider(block)
        if read is None:
            out[block] = {"available": False}
            if block == "documents" and tally is not None:
                out[block] = tally.snapshot()
            continue
        try:
            kwargs = {"period": dossier_period(period)} if block == "dossiers" else {}
            out[block] = {"available": True, **read(session, **kwargs)}
        except Exception as exc:  # one area's bug must not blank the whole screen
            log.exception("KPI provider for %s failed", block)
            out[block] = {"available": False, "error": type(exc).__name__}
    return out


class DocumentTally:
    """Today's incoming documents as announced on the bus (``documents.<state>`` events).

    A stand-in for ``documents.kpi.snapshot`` while the documents area has none:
    it only knows what happened since this process started, and says so.
    """

    def __init__(self) -> None:
        self.since = time.time()
        self.day = self._today()
        self.states: dict[int, str] = {}
        self.urgent: set[int] = set()

    @staticmethod
    def _today() -> str:
        return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))

    def apply(self, topic: str, event: dict[str, Any]) -> None:
        if event.get("register", "in") != "in" or "id" not in event:
            return
        today = self._today()
        if today != self.day:
            self.day, self.states, self.urgent = today, {}, set()
        doc = int(event["id"])
        self.states[doc] = topic.split(".", 1)[1]
        if event.get("urgency") in ("hoa_toc", "thuong_khan"):
            self.urgent.add(doc)

    def snapshot(self) -> dict[str, Any]:
        waiting = [d for d, s in self.states.items() if s in ("received", "registered", "submitted")]
        return {"available": True, "source": "bus", "since": self.since, "received_today": len(self.states),
                "awaiting_direction": len(waiting), "urgent_undirected": len(set(waiting) & self.urgent),
                "overdue": None, "overdue_by_unit": []}
