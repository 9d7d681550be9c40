"""Proposals as the API takes and returns them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Section = Literal["legal_literacy", "legislation", "public_oversight"]
Result = Literal["adopted", "not_adopted", "in_progress", "no_response"]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z][a-z0-9_]*$")]
Id = Annotated[str, Field(min_length=1, max_length=36)]

#: How the seed's table prints a result.
RESULT_LABELS = {
    "adopted": "ADOPTED",
    "not_adopted": "NOT ADOPTED",
    "in_progress": "IN PROGRESS",
    "no_response": "NO RESPONSE",
}
SECTION_TITLES = {
    "legal_literacy": "In the field of raising the level of legal literacy of the population",
    "legislation": "In the field of changes of legislation",
    "public_oversight": "In the sphere of public oversight",
}


class ProposalFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    detail: Annotated[str, Field(max_length=20000)] | None = None
    document: Annotated[str, Field(max_length=1000)] | None = Field(
        default=None, description="e.g. a decree, an action plan, minutes, a bill"
    )
    result_on: date | None = None
    areas: Annotated[list[Code], Field(max_length=30)] | None = None
    alert_ids: Annotated[list[Id], Field(max_length=100)] | None = None
    complaint_ids: Annotated[list[Id], Field(max_length=1000)] | None = None


class ProposalCreate(ProposalFields):
    section: Section
    text: Annotated[str, Field(min_length=1, max_length=20000)]
    result: Result = "in_progress"
    proposed_on: date

    @model_validator(mode="after")
    def _result_after_proposal(self) -> ProposalCreate:
        if self.result_on and self.result_on < self.proposed_on:
            raise ValueError("result_on must not be before proposed_on")
        return self


class ProposalUpdate(ProposalFields):
    """Only the fields sent change."""

    section: Section | None = None
    text: Annotated[str, Field(min_length=1, max_length=20000)] | None = None
    result: Result | None = None


class ProposalRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    section: str
    text: str
    result: str
    detail: str | None
    document: str | None
    proposed_on: date
    result_on: date | None
    areas: list[str]
    alert_ids: list[str]
    complaint_ids: list[str]
    created_by: str = Field(description="Who recorded it (staff id)")
    created_by_name: str | None = Field(
        default=None, description="Their name (from cases' staff.* events)"
    )
    created_by_position: str | None = None
    created_at: datetime
    updated_at: datetime
    version: int
