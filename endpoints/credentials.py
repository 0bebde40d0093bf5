"""Where an endpoint's password comes from: the environment (`GIAOBAN_ENDPOINT_PASSWORD`) or a
credentials file (`var/endpoints/<id>.env` by default, lines `KEY=value`), never the command line,
where every user of the machine could read it in the process list."""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

ENV_PASSWORD = "GIAOBAN_ENDPOINT_PASSWORD"
FILE_KEYS = ("GIAOBAN_ENDPOINT_PASSWORD", "PASSWORD", "password")


class CredentialsError(Exception):
    """No usable password: the agent cannot start (exit code 2)."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = ""
    source: str = ""

    def __repr__(self) -> str:  # never print the password, not even in a traceback
        return f"Credentials({self.username}, from {self.source})"


def default_credentials_file(var_dir: Path, endpoint_id: str) -> Path:
    return Path(var_dir) / "endpoints" / f"{endpoint_id}.env"


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise CredentialsError(f"{path}:{number}: expected KEY=value")
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def load_credentials(endpoint_id: str, file: Path | None, var_dir: Path) -> Credentials:
    """The environment wins over the file; an explicitly named file that is missing is an error."""
    env = os.environ.get(ENV_PASSWORD, "")
    if env:
        return Credentials(endpoint_id, env, f"${ENV_PASSWORD}")
    path = file or default_credentials_file(var_dir, endpoint_id)
    if not path.exists():
        raise CredentialsError(
            f"Không có mật khẩu cho điểm cầu {endpoint_id} / no password for endpoint {endpoint_id}: "
            f"set {ENV_PASSWORD} or write {ENV_PASSWORD}=... into {path} (mode 600)")
    mode = path.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("%s is readable by other users (mode %o); run: chmod 600 %s", path, mode & 0o777, path)
    values = read_env_file(path)
    password = next((values[k] for k in FILE_KEYS if values.get(k)), "")
    if not password:
        raise CredentialsError(f"{path} has no {ENV_PASSWORD}=... line")
    return Credentials(endpoint_id, password, str(path))
