"""Checking a sealed archive against itself and against the signed minutes, in this order, and
naming the first thing that does not match: the manifest (its bytes still hash to the sealed
SHA-256), each file (present, its full size - a shorter one was truncated -, its SHA-256, and that
it still demuxes), then the minutes (signed, carrying the manifest's hash, signatures intact: the
documents area answers that part, connected by the caller)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core.filestore import FileStore

from .models import ArchiveState, MeetingArchive
from .probe import probe

# (the signed minutes' PDF bytes, or None when none is signed) -> problems found in it, given the manifest hash
MinutesCheck = Callable[[Session, int, str], list[str]]


@dataclass
class Verification:
    meeting_id: int
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_mismatch(self) -> str | None:
        return self.problems[0] if self.problems else None


def _sha256_of(path: Any) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify_archive(session: Session, meeting_id: int, store: FileStore,
                   minutes_check: MinutesCheck | None = None) -> Verification:
    result = Verification(meeting_id)
    row = session.get(MeetingArchive, meeting_id)
    if row is None:
        result.problems.append(f"meeting {meeting_id}: no archive (not recorded)")
        return result
    if row.state in (ArchiveState.recording.value, ArchiveState.failed.value) or not row.manifest_sha256:
        why = f": {row.reason}" if row.reason else ""
        result.problems.append(f"meeting {meeting_id}: archive not sealed ({row.state}{why})")
        return result
    sha = row.manifest_sha256
    manifest_path = store.path_of(sha)
    if not manifest_path.exists():
        result.problems.append(f"manifest {sha}: missing from the file store")
        return result
    data = manifest_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != sha:
        result.problems.append(f"manifest {sha}: changed (its SHA-256 is now {hashlib.sha256(data).hexdigest()})")
        return result
    result.checked.append(f"manifest {sha}")
    manifest = json.loads(data)
    if row.state == ArchiveState.pruned.value:
        result.checked.append(f"files: removed after their retention period ({len(manifest['files'])} listed)")
    else:
        for entry in manifest["files"]:
            problem = _check_file(store, entry)
            if problem:
                result.problems.append(problem)
            else:
                result.checked.append(f"{entry['name']}: {entry['bytes']} bytes, SHA-256 matches")
    if minutes_check is not None:
        found = minutes_check(session, meeting_id, sha)
        result.problems.extend(found)
        if not found:
            result.checked.append("minutes: signed, carry the manifest's SHA-256, signatures intact")
    return result


def _check_file(store: FileStore, entry: dict[str, Any]) -> str | None:
    name, sha = entry["name"], entry["sha256"]
    path = store.path_of(sha)
    if not path.exists():
        return f"{name}: missing from the file store ({sha})"
    size = path.stat().st_size
    if size < entry["bytes"]:
        return f"{name}: truncated ({size} of {entry['bytes']} bytes)"
    if size != entry["bytes"]:
        return f"{name}: size changed ({size} bytes, manifest says {entry['bytes']})"
    actual = _sha256_of(path)
    if actual != sha:
        return f"{name}: content changed (SHA-256 {actual}, manifest says {sha})"
    if entry.get("complete"):
        try:
            probe(path)
        except Exception as exc:
            return f"{name}: does not demux ({exc})"
    return None
