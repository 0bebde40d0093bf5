"""Who sees whom: the source of each participant's video `DownTrack`s, from the replicated room
state.

- A district sees the host (first video DownTrack) and the current speaker (second): the
  spotlit district if the host set one, else the district that last held the floor - never
  itself (then the district before it).
- The host and observers see the current speaker's high track (first video DownTrack) and the
  low tracks of the tiles they show (the following ones): the participants of their `view` in its
  order (a console's visible page), or without one every district in join order.
- A camera wall (role "wall") sees the cameras it asked for when it joined (`MemberInfo.shows`,
  one per video DownTrack, in that order); a camera (role "camera") publishes one video and
  receives nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Everyone hears this many voices at most: the loudest voice-active others, the floor holder
# always among them.
AUDIO_DOWNTRACKS_PER_SUBSCRIBER = 3


@dataclass(frozen=True)
class TrackInfo:
    """A published track as the room knows it: where its packets come from on the mesh."""

    owner: int  # the worker holding the publisher's transport
    number: int  # the track's feed number on that worker's mesh
    kind: str
    codec: str
    clock_rate: int


@dataclass
class MemberInfo:
    role: str
    worker: int
    joined_at: float
    tracks: dict[str, TrackInfo] = field(default_factory=dict)  # by layer
    shows: list[str] = field(default_factory=list)  # a wall's cameras, one per video DownTrack


@dataclass
class RoomState:
    """The room as the home worker decides it; every worker holding a participant has a copy
    (replicated as `messages.State`)."""

    members: dict[str, MemberInfo] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    dominant: str | None = None
    spotlight: str | None = None
    featured: list[str] = field(default_factory=list)  # districts that held the floor, latest last
    muted: list[str] = field(default_factory=list)
    version: int = 0
    epoch: float = 0.0  # when the home worker created the room: a restarted home starts over

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

    def screen_source(self, viewer: str) -> tuple[str, str] | None:
        """The screen someone shares now (a published "screen" layer), for everyone but its sharer."""
        return next(((pid, "screen") for pid in self.order
                     if pid != viewer and pid in self.members and "screen" in self.members[pid].tracks), None)

    def video_sources(self, viewer: str, count: int, view: list[str] | None = None) -> list[tuple[str, str] | None]:
        """(participant, layer) for each of `viewer`'s `count` video DownTracks, None for an idle one.
        `view`: the tiles a host or observer shows (absent ones leave their DownTrack idle)."""
        member = self.members.get(viewer)
        if member is None:
            return [None] * count
        if member.role == "wall":
            shown: list[tuple[str, str] | None] = [(pid, "high") if pid in self.members else None
                                                   for pid in member.shows[:count]]
            shown += [None] * max(0, count - len(shown))
            return [w if w is None or w[1] in self.members[w[0]].tracks else None for w in shown]
        speaker = self.speaker_for(viewer)
        if member.role == "district":
            host = self.host()
            wanted: list[tuple[str, str] | None] = [
                (host, "high") if host else None,
                (speaker, "high") if speaker else None,
            ]
        else:
            wanted = [(speaker, "high") if speaker else None]
            tiles = self.districts() if view is None else view
            wanted += [(pid, "low") if pid in self.members else None for pid in tiles]
        wanted = wanted[:count] + [None] * max(0, count - len(wanted))
        return [w if w is None or w[1] in self.members[w[0]].tracks else None for w in wanted]


def assign_audio(current: list[str | None], chosen: list[str]) -> list[str | None]:
    """Put `chosen` sources on audio DownTracks, leaving a source on the DownTrack it already has."""
    result: list[str | None] = [pid if pid in chosen else None for pid in current]
    missing = [pid for pid in chosen if pid not in result]
    for i, pid in enumerate(result):
        if pid is None and missing:
            result[i] = missing.pop(0)
    return result
