"""Who sees whom: the video each participant's slots carry, from the replicated room state.

- A district sees the host (first video slot) and the current speaker (second slot): the
  spotlit district if the host set one, else the district that last held the floor - never
  itself (then the district before it).
- The host and observers see the current speaker's high track (first slot) and every
  district's low track as a tile (following slots, in join order).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class MemberInfo:
    role: str
    worker: int
    joined_at: float
    streams: dict[str, dict] = field(default_factory=dict)  # layer -> stream description


@dataclass
class RoomState:
    """The room as the home worker decides it; every worker holding a participant has a copy."""

    members: dict[str, MemberInfo] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    dominant: str | None = None
    spotlight: str | None = None
    featured: list[str] = field(default_factory=list)  # districts that held the floor, latest last
    muted: list[str] = field(default_factory=list)
    version: int = 0
    epoch: float = 0.0  # when the home worker created the room: a restarted home starts over

    def to_dict(self) -> dict:
        return {
            "members": {pid: {"role": m.role, "worker": m.worker, "joined_at": m.joined_at, "streams": m.streams}
                        for pid, m in self.members.items()},
            "order": self.order, "dominant": self.dominant, "spotlight": self.spotlight,
            "featured": self.featured, "muted": self.muted, "version": self.version, "epoch": self.epoch,
        }

    @classmethod
    def from_dict(cls, data: dict) -> RoomState:
        return cls(
            members={pid: MemberInfo(m["role"], m["worker"], m["joined_at"], m["streams"])
                     for pid, m in data["members"].items()},
            order=list(data["order"]), dominant=data["dominant"], spotlight=data["spotlight"],
            featured=list(data["featured"]), muted=list(data["muted"]), version=data["version"],
            epoch=data.get("epoch", 0.0))

    def districts(self) -> list[str]:
        return [pid for pid in self.order if pid in self.members and self.members[pid].role == "district"]

    def host(self) -> str | None:
        return next((pid for pid in self.order if pid in self.members and self.members[pid].role == "host"), None)

    def speaker_for(self, viewer: str) -> str | None:
        """The district shown as "speaker" to `viewer`."""
        if self.spotlight and self.spotlight != viewer and self.spotlight in self.members:
            return self.spotlight
        for pid in reversed(self.featured):
            if pid != viewer and pid in self.members:
                return pid
        return None

    def video_sources(self, viewer: str, slots: int) -> list[tuple[str, str] | None]:
        """(participant, layer) for each of `viewer`'s video slots, None for an idle slot."""
        member = self.members.get(viewer)
        if member is None:
            return [None] * slots
        speaker = self.speaker_for(viewer)
        if member.role == "district":
            host = self.host()
            wanted: list[tuple[str, str] | None] = [
                (host, "high") if host else None,
                (speaker, "high") if speaker else None,
            ]
        else:
            wanted = [(speaker, "high") if speaker else None]
            wanted += [(pid, "low") for pid in self.districts()]
        wanted = wanted[:slots] + [None] * max(0, slots - len(wanted))
        return [w if w is None or w[1] in self.members[w[0]].streams else None for w in wanted]


def assign_audio(current: list[str | None], chosen: list[str]) -> list[str | None]:
    """Put `chosen` sources on audio slots, leaving a source on the slot it already has."""
    result: list[str | None] = [pid if pid in chosen else None for pid in current]
    missing = [pid for pid in chosen if pid not in result]
    for i, pid in enumerate(result):
        if pid is None and missing:
            result[i] = missing.pop(0)
    return result
