"""Signing-service tunables (environment prefix GIAOBAN_SIGNING_) and where its files live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, SettingsConfigDict


class SigningConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GIAOBAN_SIGNING_", extra="ignore")

    sad_ttl_seconds: int = 300
    token_ttl_seconds: int = 3600
    max_pin_attempts: int = 5
    multisign: int = 10
    default_key: str = "rsa-2048"
    default_store: str = "pkcs12"
    pkcs11_module: str = "/usr/lib/softhsm/libsofthsm2.so"
    pkcs11_token: str = "giaoban"
    pkcs11_pin: str | None = None
    # Per person: authenticated requests (CSC API and TSA) per minute. A bulk run signing a few
    # documents a second stays well below; a runaway or hostile client does not.
    requests_per_minute: int = 3000
    # Requests with a missing or wrong token per address per minute before further ones are refused (wrong
    # passwords at auth/login are throttled by core.login_throttle, shared with the web login).
    anonymous_per_minute: int = 60
    ca_common_name: str = "UBND tỉnh Nghệ An"


def signing_dir(settings: Any) -> Path:
    return Path(settings.var_dir) / "signing"


def service_url(settings: Any) -> str:
    return str(settings.signing_url).rstrip("/")
