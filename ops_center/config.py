"""The operations center's own settings (environment prefix GIAOBAN_OPS_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from core.settings import Settings


class OpsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIAOBAN_OPS_", env_file=".env", env_file_encoding="utf-8",
                                      extra="ignore")

    synthetic_port: int = Field(default=8554, description="Loopback port of the demo's synthetic cameras")
    synthetic_count: int = Field(default=4, ge=1, le=6)
    offline_after_s: float = Field(default=5.0, ge=1.0, le=60.0, description="Silence before a camera is offline")
    retention_days: float = Field(default=7.0, gt=0, description="Event snapshots and clips older than this go")
    retention_max_mb: int = Field(default=2048, ge=10, description="Media kept at most, oldest deleted first")
    dossier_period: str = Field(default="month", description="Dashboard dossier figures: today, week, month, "
                                "year, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")
    node: str = Field(default="", description="This ingest process's name among several; empty = host-pid")
    lease_ttl_s: float = Field(default=4.0, ge=1.0, le=60.0, description="A dead ingest process's cameras "
                               "are taken over after this (plus a third of it)")
    escalate_critical_s: float = Field(default=120.0, gt=0)
    escalate_warning_s: float = Field(default=600.0, gt=0)


@lru_cache(maxsize=1)
def get_ops_settings() -> OpsSettings:
    return OpsSettings()


def media_dir(settings: Settings) -> Path:
    return settings.var_dir / "ops_media"
