"""What a minutes draft is made from: the facts of one meeting as the conference area records them.

Defined here so that minutes depend on a stable shape rather than on the conference's tables; the
adapter in `conference_record.py` fills it from `conference.record.meeting_record`."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field, model_validator


class Person(BaseModel):
    username: str = ""
    full_name: str
    position: str = ""


class Interval(BaseModel):
    joined_at: datetime
    left_at: datetime | None = None  # still connected when the meeting ended


class UnitAttendance(BaseModel):
    unit_code: str = ""
    unit_name: str
    endpoint: str = ""  # the meeting endpoint (điểm cầu) the unit attended from
    intervals: list[Interval] = Field(default_factory=list)


class AgendaItem(BaseModel):
    title: str
    presenter: str = ""


class SpeakingTime(BaseModel):
    full_name: str
    unit_name: str = ""
    seconds: float = Field(ge=0)
    turns: int = Field(default=1, ge=0)


class HostAction(BaseModel):
    at: datetime
    actor: str = ""
    action: str
    description: str = ""


class MinutesSource(BaseModel):
    meeting_id: int
    title: str = Field(min_length=1, max_length=500)
    started_at: datetime
    ended_at: datetime
    place: str = Field(min_length=1, description="The provincial hall (điểm cầu chính)")
    chair: Person
    secretary: Person
    agenda: list[AgendaItem] = Field(default_factory=list)
    attendance: list[UnitAttendance] = Field(default_factory=list)
    absent: list[str] = Field(default_factory=list, description="Invited units that never connected")
    speaking: list[SpeakingTime] = Field(default_factory=list)
    host_actions: list[HostAction] = Field(default_factory=list)
    # The recording's seal (documents.minutes.archive_seal), filled in when the PDF is made.
    archive_manifest_sha256: str | None = Field(default=None, pattern="^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _ends_after_start(self) -> MinutesSource:
        if self.ended_at < self.started_at:
            raise ValueError("ended_at is before started_at")
        return self

    @property
    def endpoints(self) -> list[str]:
        return [a.endpoint for a in self.attendance if a.endpoint]
