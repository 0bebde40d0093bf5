"""Where an installation's Unix sockets live. A socket's path must fit in `sun_path` (108 bytes on
Linux, 104 on macOS) while a data directory may be as long as anyone likes, so sockets do not live
under it: each installation gets private directories with short names in the temporary directory
($TMPDIR, or /tmp when that is too long), named for their purpose and a hash of the user and the
resolved data directory, so that every process of one installation finds the same ones and two
installations never share one.

Not $XDG_RUNTIME_DIR: systemd-logind removes it at the user's last logout, which would pull the
sockets from under a server started from a login session."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path

# Leaves room for names like "worker-63.sock" under the 104 bytes macOS allows.
MAX_DIR_BYTES = 72


class SocketDirError(RuntimeError):
    """The socket directory cannot be made private to this user."""


def socket_dir(var_dir: Path, purpose: str) -> Path:
    """The directory for this installation's `purpose` sockets (not created; see `make_socket_dir`)."""
    key = hashlib.sha256(f"{os.getuid()}:{Path(var_dir).expanduser().resolve()}:{purpose}".encode()).hexdigest()
    name = f"giaoban-{purpose}-{key[:12]}"
    for base in (tempfile.gettempdir(), "/tmp"):
        path = Path(base) / name
        if len(os.fsencode(path)) <= MAX_DIR_BYTES:
            return path
    raise SocketDirError(f"no short directory for Unix sockets: {name} does not fit under /tmp")


def make_socket_dir(path: Path) -> Path:
    """Create `path` as a directory only this user may enter (0700), or check that it is one."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=0o700, parents=True)
    info = path.lstat()
    if not stat.S_ISDIR(info.st_mode):
        raise SocketDirError(f"{path} should be a directory for Unix sockets, but is not (a link or a file): "
                             "remove it and start again")
    if info.st_uid != os.getuid() or info.st_mode & 0o077:
        raise SocketDirError(f"{path} is not private to this user (owner uid {info.st_uid}, mode "
                             f"{stat.S_IMODE(info.st_mode):o}); its sockets would be open to others: remove it "
                             "and start again, or set TMPDIR to a private directory")
    return path


def remove_socket_dir(path: Path) -> None:
    """Remove the sockets left in `path`, then `path` itself if nothing else is in it."""
    with contextlib.suppress(FileNotFoundError):
        for entry in path.iterdir():
            if entry.is_socket():
                entry.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.rmdir()
