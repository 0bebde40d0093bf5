"""Where things live: which worker holds a participant's media session, which worker is a room's
home (it keeps the room's state), and where each worker listens. The web process (`MediaClient`)
and the workers compute the same answers without asking each other."""

from __future__ import annotations

import zlib
from pathlib import Path


def place(key: str, count: int) -> int:
    """A stable worker number for `key` among `count` workers, the same in every process."""
    return zlib.crc32(key.encode()) % count


def worker_for_participant(participant_id: str, count: int, room_id: str | None = None,
                           room_workers: int | None = None) -> int:
    """The worker holding `participant_id`'s session in `room_id`.

    A room's participants go to `room_workers` workers starting at the room's home (1: all on the
    home, so none of its packets crosses the mesh between workers, which costs more CPU than
    forwarding the packet: about 54k Python instructions against 15k, plus a write and a read on
    the mesh socket). More than one spreads a room that needs more than one core; None or `count`
    spreads every room over all workers by participant, as before room affinity."""
    if room_id is None or room_workers is None or room_workers >= count:
        return place(participant_id, count)
    return (home_of_room(room_id, count) + place(participant_id, max(1, room_workers))) % count


def home_of_room(room_id: str, count: int) -> int:
    return place("room:" + room_id, count)


def control_path(run_dir: Path, index: int) -> Path:
    """The worker's control socket, served by `control.ControlServer` for `MediaClient`s."""
    return Path(run_dir) / f"worker-{index}.sock"


def mesh_path(run_dir: Path, index: int) -> Path:
    """The worker's end of the mesh between workers (`mesh.Mesh`)."""
    return Path(run_dir) / f"mesh-{index}.sock"
