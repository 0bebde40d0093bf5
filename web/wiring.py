"""Connections between areas that must not import each other, made here at start-up by the composition root."""

from __future__ import annotations

from fastapi import FastAPI

from conference import kpi as conference_kpi
from conference import record as conference_record
from conference import related as conference_related
from conference import scheduling as conference_scheduling
from conference.archive.seal import archive_seal
from conference.media.client import MediaClient
from conference.media.service import media_run_dir
from core.settings import Settings
from documents import kpi as documents_kpi
from documents.dossiers import kpi as dossiers_kpi
from documents.minutes import archive_seal as minutes_archive_seal
from documents.minutes import links as minutes_links
from documents.minutes import wiring as minutes_wiring
from ops_center import kpi as ops_kpi
from ops_center import wall_media


def connect_wall(settings: Settings) -> None:
    """The camera wall reaches the media workers through conference's MediaClient (in the web process
    for browsers' sessions, in the ingest process for cameras publishing)."""
    wall_media.provide(lambda: MediaClient(media_run_dir(settings.var_dir), settings.media_workers,
                                           settings.media_room_workers))


def connect(app: FastAPI) -> None:
    # Minutes are drafted from the meeting's own record (and when a meeting ends) without
    # documents importing conference.
    minutes_wiring.connect_app(app, conference_record.meeting_record)
    # Meeting <-> minutes both ways: the meeting page links its minutes; the drafting form names ended meetings.
    conference_related.connect_minutes(minutes_links.minutes_link)
    minutes_links.connect_meetings(conference_scheduling.ended_meetings)
    # The recording's seal is printed in the minutes before they are signed.
    minutes_archive_seal.connect(archive_seal)
    # The operations center's dashboard reads the other areas' figures through these functions.
    ops_kpi.provide(documents=documents_kpi.snapshot, dossiers=dossiers_kpi.snapshot,
                    conference=conference_kpi.snapshot, dossiers_due=dossiers_kpi.about_to_be_late)
    connect_wall(app.state.settings)
