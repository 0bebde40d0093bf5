"""Helpers for the document register tests: people by username as Viewers, extra people in other
units, a file store in the test's var directory, and real (small) PDFs."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db import engine_for, session_factory, session_scope
from core.people import Role, User
from core.province import create_user
from core.settings import Settings
from core.units import Unit
from documents.filestore import FileStore
from documents.samplepdf import text_pdf
from documents.scope import Viewer
from tests.conftest import DEMO_PASSWORD


@pytest.fixture
def writer(settings: Settings):  # type: ignore[no-untyped-def]
    """A writing sessionmaker on the test database (SQLite takes the write lock at BEGIN)."""
    return session_factory(engine_for(settings.database_url), write=True)


@pytest.fixture
def store(settings: Settings) -> FileStore:
    return FileStore(settings.files_dir)


def unit_by_abbr(session: Session, abbr: str) -> Unit:
    return session.execute(select(Unit).where(Unit.abbr == abbr).order_by(Unit.id).limit(1)).scalar_one()


def viewer_of(session: Session, username: str) -> Viewer:
    return Viewer.of(session, session.execute(select(User).where(User.username == username)).scalar_one())


@pytest.fixture
def add_person(writer) -> Callable[[str, Role, str], None]:  # type: ignore[no-untyped-def]
    """Create an account `username` with `role` in the unit whose abbreviation is `abbr`."""

    def make(username: str, role: Role, abbr: str) -> None:
        with session_scope(writer) as session:
            create_user(session, username=username, role=role, password=DEMO_PASSWORD,
                        full_name=f"Người thử {username}", position="Chuyên viên", unit=unit_by_abbr(session, abbr))

    return make


def pdf(*lines: str) -> bytes:
    return text_pdf(list(lines) or ["Van ban thu nghiem"])
