"""What the duplicate review API receives and answers."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from alac_intake.complaints.schemas import ContactDetails
from alac_intake.duplicates.models import DuplicateReason


class DuplicateFlag(BaseModel):
    other_complaint_id: str
    reason: DuplicateReason
    score: float
    flagged_at: datetime
    registered_later: bool  # true when this complaint's registration raised the flag


class DuplicateFlags(BaseModel):
    complaint_id: str
    possible_duplicates: list[DuplicateFlag]


class DuplicateCheckIn(BaseModel):
    """A complaint being typed: its text and, if given, the contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    crux: str = Field(min_length=1, max_length=8000)
    contact: ContactDetails | None = None


class DuplicateCandidate(BaseModel):
    other_complaint_id: str
    reason: DuplicateReason
    score: float


class DuplicateCheck(BaseModel):
    possible_duplicates: list[DuplicateCandidate]
