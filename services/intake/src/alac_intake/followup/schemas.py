"""What the follow-up API receives and answers: messages, the status a complainant sees,
consent answers, and the staff's list of complainants waiting for an answer."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from alac_intake.complaints.schemas import NoNul


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    body: Annotated[str, Field(min_length=1, max_length=5000), NoNul]


class MessageOut(BaseModel):
    id: str
    direction: str
    body: str
    posted_at: datetime


class StaffMessageOut(MessageOut):
    """A message as the centre's staff see it: who of them wrote it. The complainant's own
    view (MessageOut) says only that the centre did."""

    author: str | None = Field(
        default=None, description="The staff member who wrote it (id); null: the complainant"
    )
    author_name: str | None = Field(
        default=None, description="Their name (from cases' staff.* events)"
    )
    author_position: str | None = None


# The complainant's answer per consent scope (none yet: null). No docstring: it would become
# the schema's description in the OpenAPI document.
class ConsentAnswers(BaseModel):
    formal_action: bool | None
    documents_to_authorities: bool | None
    media: bool | None


class FollowUpStatus(BaseModel):
    status: str
    received_at: datetime
    office: str
    messages: int
    # What the page needs to ask for consent: an anonymous complaint cannot give any.
    anonymous: bool
    consent: ConsentAnswers


class ConsentIn(BaseModel):
    """Yes (true) or no (false) per scope; a scope left out keeps its answer."""

    model_config = ConfigDict(extra="forbid")
    formal_action: bool | None = Field(
        None, description="Act on the complainant's behalf (letters, complaints, court)."
    )
    documents_to_authorities: bool | None = Field(
        None, description="Pass the complainant's documents to the authorities."
    )
    media: bool | None = Field(None, description="Speak of the case publicly (anonymised).")


class ConsentOut(ConsentAnswers):
    changed: list[str] = Field(description="The scopes this answer changed (none: as before).")


class Unanswered(BaseModel):
    complaint_id: str
    office: str
    channel: str
    area: str | None
    received_at: datetime
    since: datetime = Field(description="The first message after the centre's last answer")
    waiting: int = Field(description="Messages from the complainant since the last answer")
