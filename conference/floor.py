"""Who is speaking, as every screen and the minutes' speaking record must say it: the participant the
chair gave the floor to, else the one the chair spotlit, else whoever voice activity picked. Voice
decides only while nobody holds the floor: a district's microphone picking up room noise must not
take the caption (or the speaking time) from the district the chair is listening to."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Source = Literal["floor", "spotlight", "voice"]


@dataclass(frozen=True)
class Speaking:
    participant: str | None
    source: Source | None  # None when nobody speaks


NOBODY = Speaking(None, None)


def who_speaks(*, floor: str | None, spotlight: str | None, voice: str | None,
               present: frozenset[str] | set[str] | None = None) -> Speaking:
    """The speaker by the floor rule. `present`, if given, are the participants connected now: one
    who left can hold nothing, and the next rule down decides."""

    def here(pid: str | None) -> bool:
        return pid is not None and (present is None or pid in present)

    if here(floor):
        return Speaking(floor, "floor")
    if here(spotlight):
        return Speaking(spotlight, "spotlight")
    if here(voice):
        return Speaking(voice, "voice")
    return NOBODY
