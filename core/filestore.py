"""The content-addressed file store: each file is kept once under the SHA-256 of its bytes, written
atomically and made read-only, and never changed afterwards (a signed original stays byte-exact).

Shared by the areas that keep originals: documents (attachments, signed PDFs) and the conference's
meeting archive (recordings and their manifest, put by streaming: a recording does not fit in memory)."""

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

    def put_file(self, source: Path) -> tuple[str, int]:
        """Copy a file into the store without reading it whole; (its SHA-256, its size)."""
        digest = hashlib.sha256()
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=".incoming-")
        size = 0
        try:
            with open(source, "rb") as src, os.fdopen(fd, "wb") as out:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            target = self.path_of(digest.hexdigest())
            if target.exists():
                os.unlink(tmp)
                return digest.hexdigest(), size
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp, 0o444)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return digest.hexdigest(), size

    def remove(self, sha256: str) -> bool:
        """Delete a stored file (retention: the archive's recordings past their period)."""
        try:
            self.path_of(sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    def get(self, sha256: str) -> bytes:
        data = self.path_of(sha256).read_bytes()
        if hashlib.sha256(data).hexdigest() != sha256:
            raise OSError(f"stored file {sha256} does not match its digest: the store was tampered with")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()


def store_for(settings) -> FileStore:  # type: ignore[no-untyped-def]
    return FileStore(Path(settings.files_dir))
