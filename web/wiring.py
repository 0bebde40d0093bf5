"""Connections between areas that must not import each other, made here at start-up by the composition root."""

from __future__ import annotations

from web import areas


def connect() -> None:
    record_source = areas.optional_module("documents.minutes.record_source")
    conference_record = areas.optional_module("conference.record")
    if record_source is not None and conference_record is not None:
        # Minutes are drafted from the meeting's own record without documents importing conference.
        record_source.connect(conference_record.meeting_record)
