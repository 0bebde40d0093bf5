"""Settings read from the environment and an optional `.env` file (prefix GIAOBAN_)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GIAOBAN_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = Field(default=Path("var"), description="Where the embedded database, files and keys live")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite under var_dir")
    secret_key: str = Field(default="", description="Signs sessions and keys the audit chain; empty = var/secret.key")
    bus_url: str = Field(default="", description="Event bus: empty = in-process, redis://... or nats://...")
    leases_url: str = Field(default="", description="Leases and live state: redis://...; empty = the bus URL "
                            "when that is Redis, else in-process (one host)")
    live_state_url: str = Field(default="", description="Live meeting state (who is in, hands, mutes, floor, "
                                "speaker): redis://... lets several web processes share meetings; empty = "
                                "in the one web process's memory")
    web_workers: int = Field(default=1, ge=1, le=32, description="Web processes `giaoban up` starts on the one "
                             "port (SO_REUSEPORT); more than one needs GIAOBAN_LIVE_STATE_URL")
    leases_namespace: str = Field(default="giaoban:", description="Prefix of this installation's lease keys")
    host: str = "127.0.0.1"
    port: int = 8000
    signing_host: str = "127.0.0.1"
    signing_port: int = 8010
    signing_url: str = Field(default="", description="Where documents reach the CSC signing service")
    media_workers: int = Field(default=2, ge=1, le=64)
    media_room_workers: int = Field(default=1, ge=1, le=64, description="Media workers one room's participants "
                                    "are spread over: 1 keeps a room on one worker (no packet crosses between "
                                    "workers); more for a room that needs more than one core")
    media_ice_addresses: list[str] = Field(default_factory=list, description="Addresses ICE offers; empty = all")
    media_nice: int = Field(default=0, ge=-20, le=19, description="Scheduling priority of the media workers")
    # Media nodes on several hosts (conference.media.node): the web process drives the nodes it finds in the
    # registry (in the leases engine, which must then be Redis) instead of this host's media workers.
    media_nodes: bool = Field(default=False, description="Use media nodes from the registry, not local workers")
    media_node_name: str = Field(default="", description="This media node's name; empty = the host name")
    media_node_address: str = Field(default="127.0.0.1", description="Address this media node listens on and "
                                    "advertises to the web processes, the other nodes and ICE")
    media_node_control_port: int = Field(default=8020, ge=1, le=65535, description="TCP: the control channel")
    media_node_relay_port: int = Field(default=8021, ge=1, le=65535, description="UDP and TCP between nodes")
    session_hours: int = Field(default=12, ge=1, le=720)
    # Wrong logins (core.login_throttle): an address waits after `throttle_failures` in 15 minutes; an account
    # name is locked after `lockout_failures` coming from at least `lockout_addresses` addresses.
    throttle_failures: int = Field(default=10, ge=3, le=100)
    lockout_failures: int = Field(default=10, ge=3, le=100)
    lockout_addresses: int = Field(default=3, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=1440)
    unit_set: Literal["districts", "communes"] = Field(
        default="districts", description="The meeting units: the seed's 26 district endpoints, or the 130 communes "
                                         "and wards of the two-tier government since 1 July 2025 (core.unit_sets)")
    record_reader_roles: list[str] = Field(
        default_factory=lambda: ["admin"],
        description="Roles that may read every meeting's attendance, timeline and minutes (core.record_access)")
    cookie_secure: Literal["auto", "always", "never"] = Field(
        default="auto", description="Secure flag on cookies: auto = when the request came over HTTPS")
    forwarded_allow_ips: str = Field(
        default="", description="Proxies whose X-Forwarded-Proto/-For are believed (comma-separated addresses, "
                                "* for any); empty = proxy headers are ignored")
    trusted_origins: list[str] = Field(
        default_factory=list, description="Other sites (https://host) whose pages may post to this one")
    archive_min_free_bytes: int = Field(
        default=2 << 30, ge=0, description="Meeting recording stops (alert on /ops, the meeting goes on) when the "
                                           "disk holding var_dir has less free space than this")
    archive_retention_days: dict[str, int] = Field(
        default_factory=lambda: {"giao_ban": 730, "chuyen_de": 1825, "khan": 3650},
        description="How long each kind of meeting's recordings are kept after the meeting (giaoban archive prune); "
                    "a kind not listed is kept for ever")
    start_demo_fleet: bool = False
    start_demo_cameras: bool = True

    @field_validator("var_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    def model_post_init(self, __context: object) -> None:
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'giaoban.db'}"
        if not self.signing_url:
            self.signing_url = f"http://{self.signing_host}:{self.signing_port}"
        if not self.leases_url and self.bus_url.startswith(("redis://", "rediss://", "unix://")):
            self.leases_url = self.bus_url
        if not self.secret_key:
            self.secret_key = _stored_secret(self.var_dir / "secret.key")

    @property
    def files_dir(self) -> Path:
        return self.var_dir / "files"

    @property
    def recordings_dir(self) -> Path:
        """Where recorders write while a meeting runs; sealed files move to the file store."""
        return self.var_dir / "recordings"


def _stored_secret(path: Path) -> str:
    """A per-installation secret, made once, so sessions and the audit chain survive restarts."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
