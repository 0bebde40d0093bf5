"""Connections between areas that must not import each other, made here at start-up by the composition root."""

from __future__ import annotations

from fastapi import FastAPI

from web import areas


def connect(app: FastAPI) -> None:
    minutes_wiring = areas.optional_module("documents.minutes.wiring")
    conference_record = areas.optional_module("conference.record")
    if minutes_wiring is not None and conference_record is not None:
        # Minutes are drafted from the meeting's own record (and when a meeting ends) without
        # documents importing conference.
        minutes_wiring.connect_app(app, conference_record.meeting_record)
