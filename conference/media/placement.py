"""Where things live: which worker holds a participant's media session, which worker is a room's
home (it keeps the room's state), and where each worker listens. The web process (`MediaClient`)
and the workers compute the same answers without asking each other."""

from __future__ import annotations

import zlib
from pathlib import Path


def place(key: str, count: int) -> int:
    """A stable worker number for `key` among `count` workers, the same in every process."""
    return zlib.crc32(key.encode()) % count


def worker_for_participant(participant_id: str, count: int) -> int:
    return place(participant_id, count)


def home_of_room(room_id: str, count: int) -> int:
    return place("room:" + room_id, count)


def control_path(run_dir: Path, index: int) -> Path:
    """The worker's control socket, served by `control.ControlServer` for `MediaClient`s."""
    return Path(run_dir) / f"worker-{index}.sock"


def mesh_path(run_dir: Path, index: int) -> Path:
    """The worker's end of the mesh between workers (`mesh.Mesh`)."""
    return Path(run_dir) / f"mesh-{index}.sock"
