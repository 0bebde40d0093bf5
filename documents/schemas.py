"""Validated input of the documents API and services (Pydantic): what a clerk registers, what a
drafter drafts, what a leader's direction says. Messages name the field and what is expected."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.bounds import Day, Moment, RowId
from core.units import valid_unit_code
from documents.vocabulary import DOC_TYPES, Confidentiality, Urgency


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def _doc_type(value: str) -> str:
    if value not in DOC_TYPES:
        raise ValueError(f"loại văn bản không hợp lệ / unknown document type {value!r}; "
                         f"one of {', '.join(DOC_TYPES)}")
    return value


def _unit_code(value: str) -> str:
    if value and not valid_unit_code(value):
        raise ValueError("mã đơn vị phải có dạng NNN.NN.NN.XNN (QCVN 102) / unit code must look like 000.00.00.H41")
    return value


class RecipientIn(_Strict):
    """A unit of the system (unit_id), a person (user_id) or an outside organisation (name and code)."""

    unit_id: RowId | None = None
    user_id: RowId | None = None
    name: str = Field(default="", max_length=300)
    code: str = Field(default="", max_length=13)

    _code = field_validator("code")(_unit_code)


class IncomingIn(_Strict):
    unit_id: RowId | None = Field(default=None, description="register's unit; default: the clerk's")
    doc_type: str = Field(description="type abbreviation, e.g. QĐ, CV")
    code: str = Field(default="", max_length=64, description="số/ký hiệu as written, e.g. 123/QĐ-UBND")
    abstract: str = Field(min_length=1, max_length=1000, description="trích yếu")
    content: str = Field(default="", max_length=20000)
    issuer_name: str = Field(min_length=1, max_length=300, description="cơ quan ban hành")
    issuer_code: str = Field(default="", max_length=13)
    signer_name: str = Field(default="", max_length=200)
    signer_position: str = Field(default="", max_length=200)
    doc_date: Day | None = None
    received_at: Moment | None = None
    urgency: Urgency = Urgency.normal
    confidentiality: Confidentiality = Confidentiality.normal
    deadline: Day | None = None
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=200)
    notes: str = Field(default="", max_length=500)
    register_now: bool = Field(default=True, description="assign the arrival number at once")

    _type = field_validator("doc_type")(_doc_type)
    _issuer = field_validator("issuer_code")(_unit_code)


class OutgoingIn(_Strict):
    unit_id: RowId | None = Field(default=None, description="issuing unit; default: the drafter's")
    doc_type: str
    # edXML's Subject holds at most 500 characters; an outgoing abstract must fit it.
    abstract: str = Field(min_length=1, max_length=500)
    content: str = Field(default="", max_length=20000)
    drafting_unit: str = Field(default="", max_length=20, description="công văn notation suffix, e.g. KT")
    signer_name: str = Field(default="", max_length=200)
    signer_position: str = Field(default="", max_length=200)
    urgency: Urgency = Urgency.normal
    confidentiality: Confidentiality = Confidentiality.normal
    deadline: Day | None = Field(default=None, description="handling deadline asked of the recipients")
    recipients: list[RecipientIn] = Field(default_factory=list, max_length=500)
    recipients_text: str = Field(default="", max_length=1000, description="nơi nhận as printed")
    notes: str = Field(default="", max_length=500)

    _type = field_validator("doc_type")(_doc_type)

    @field_validator("drafting_unit")
    @classmethod
    def _drafting(cls, value: str) -> str:
        if any(ch in value for ch in "/ "):
            raise ValueError("ký hiệu đơn vị soạn thảo không chứa '/' hay dấu cách / no '/' or spaces")
        return value


class DirectionIn(_Strict):
    lead_unit_id: RowId = Field(description="đơn vị chủ trì")
    coordinating_unit_ids: list[RowId] = Field(default_factory=list, max_length=50, description="đơn vị phối hợp")
    deadline: Day | None = Field(default=None, description="hạn xử lý")
    handler_id: RowId | None = Field(default=None, description="chuyên viên xử lý")


class ActionIn(_Strict):
    comment: str = Field(default="", max_length=2000)
    direction: DirectionIn | None = None
