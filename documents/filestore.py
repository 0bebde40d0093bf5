"""The content-addressed file store: each file is kept once under the SHA-256 of its bytes, written
atomically and made read-only, and never changed afterwards (a signed original stays byte-exact)."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        target = self.path_of(digest)
        if target.exists():
            return digest
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return digest

    def get(self, sha256: str) -> bytes:
        data = self.path_of(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OSError(f"stored file {sha256} does not match its digest: the store was tampered with")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()


def store_for(settings) -> FileStore:  # type: ignore[no-untyped-def]
    return FileStore(Path(settings.files_dir))
