"""After the meeting, at the lowest priority: the program's voices mixed into one track beside the
program video, for a player that plays one file. This is the only place the archive decodes audio
(and encodes the mix); the program video is copied as it is, and the sealed originals stay
untouched: the mix is a derived file, stored beside them and named on the archive row
(`mix_sha256`), never in the manifest the minutes seal.

Runs the ffmpeg that imageio-ffmpeg ships, niced to 19, one meeting at a time."""

from __future__ import annotations

import contextlib
import logging
import os
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.filestore import FileStore

from .models import ArchiveState, MeetingArchive
from .seal import load_manifest

log = logging.getLogger(__name__)
MIX_TIMEOUT_SECONDS = 3600


def _lowest_priority() -> None:
    with contextlib.suppress(OSError):
        os.nice(19)


def mix_command(ffmpeg: str, video: Path, voices: list[tuple[Path, float]], out: Path) -> list[str]:
    """ffmpeg arguments: `voices` are (file, seconds after the video's start)."""
    args = [ffmpeg, "-hide_banner", "-nostdin", "-v", "error", "-y", "-i", str(video)]
    for path, offset in voices:
        args += ["-itsoffset", f"{max(0.0, offset):.3f}", "-i", str(path)]
    if voices:
        inputs = "".join(f"[{i + 1}:a]" for i in range(len(voices)))
        args += ["-filter_complex", f"{inputs}amix=inputs={len(voices)}:duration=longest:normalize=0[mix]",
                 "-map", "0:v", "-map", "[mix]", "-c:a", "libopus", "-b:a", "48k"]
    else:
        args += ["-map", "0:v"]
    return args + ["-c:v", "copy", str(out)]


def mix_program(manifest: dict[str, Any], store: FileStore) -> tuple[str, int] | None:
    """The mixed program's (SHA-256, size) in the store, or None when there is no program video."""
    import imageio_ffmpeg

    files = manifest["files"]
    video = next((f for f in files if f["name"] == "program-video.webm"), None)
    if video is None:
        return None
    voices = [(store.path_of(f["sha256"]), (f.get("start_unix") or 0) - (video.get("start_unix") or 0))
              for f in files if f["name"].startswith("program-audio") and f.get("complete")]
    with tempfile.TemporaryDirectory(prefix="giaoban-mix-") as tmp:
        out = Path(tmp) / "program-mixed.webm"
        subprocess.run(mix_command(imageio_ffmpeg.get_ffmpeg_exe(), store.path_of(video["sha256"]), voices, out),
                       check=True, capture_output=True, timeout=MIX_TIMEOUT_SECONDS, preexec_fn=_lowest_priority)
        return store.put_file(out)


def record_mix(session: Session, meeting_id: int, sha256: str) -> None:
    row = session.get(MeetingArchive, meeting_id)
    if row is not None and row.state == ArchiveState.sealed.value:
        row.mix_sha256 = sha256


def mix_meeting(session: Session, meeting_id: int, store: FileStore) -> str | None:
    """Mix a sealed archive's program once, in one session (the command line's way); the mixed
    file's SHA-256 (None: nothing to mix)."""
    row = session.get(MeetingArchive, meeting_id)
    if row is None or row.state != ArchiveState.sealed.value or not row.manifest_sha256:
        return None
    if row.mix_sha256:
        return row.mix_sha256
    mixed = mix_program(load_manifest(store, row.manifest_sha256), store)
    if mixed is None:
        return None
    record_mix(session, meeting_id, mixed[0])
    return mixed[0]
