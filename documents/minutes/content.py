"""The part of the minutes the secretary writes: subject, proceedings, conclusions, assignments,
free sections and recipients. The facts from the meeting record are not edited here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.bounds import Day
from documents.minutes.source import MinutesSource

TEXT_LIMIT = 20_000


class Assignment(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    unit: str = Field(min_length=1, max_length=300, description="Đơn vị chủ trì")
    task: str = Field(min_length=1, max_length=2000)
    deadline: Day | None = None


class FreeSection(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    heading: str = Field(min_length=1, max_length=300)
    body: str = Field(default="", max_length=TEXT_LIMIT)


class MinutesContent(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="forbid")

    subject: str = Field(min_length=1, max_length=500, description="Trích yếu: what the meeting was about")
    proceedings: str = Field(default="", max_length=TEXT_LIMIT, description="Diễn biến cuộc họp")
    conclusions: str = Field(default="", max_length=TEXT_LIMIT, description="Kết luận của chủ tọa")
    assignments: list[Assignment] = Field(default_factory=list, max_length=100)
    sections: list[FreeSection] = Field(default_factory=list, max_length=30)
    recipients: list[str] = Field(default_factory=list, max_length=60, description="Nơi nhận")


def initial_content(source: MinutesSource) -> MinutesContent:
    """What the secretary starts from: the agenda as the proceedings' outline, the units as recipients."""
    outline = [f"{i}. {item.title}" + (f" (trình bày: {item.presenter})" if item.presenter else "")
               for i, item in enumerate(source.agenda, 1)]
    proceedings = ("Cuộc họp lần lượt thảo luận các nội dung:\n" + "\n".join(outline)) if outline else ""
    recipients = [a.unit_name for a in source.attendance]
    return MinutesContent(subject=source.title, proceedings=proceedings,
                          recipients=[*dict.fromkeys(recipients), "Lưu: VT"])
