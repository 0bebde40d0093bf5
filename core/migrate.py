"""Running the Alembic migrations of every package (one version directory, one branch each)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Connection

CORE_MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str, version_dirs: Iterable[Path], connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(CORE_MIGRATIONS))
    config.set_main_option("path_separator", "os")
    dirs = [CORE_MIGRATIONS / "versions", *[d for d in version_dirs if d.is_dir()]]
    config.set_main_option("version_locations", os.pathsep.join(str(d) for d in dirs))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade(url: str, version_dirs: Iterable[Path] = (), connection: Connection | None = None) -> None:
    command.upgrade(alembic_config(url, version_dirs, connection), "heads")
