"""What the vault's key service answers (the contact itself is complaints.schemas
ContactDetails, as the complaint receives it)."""

from __future__ import annotations

from pydantic import BaseModel, Field

#: Complaint ids one request of the key service may ask for (a consumer's batch).
MAX_BATCH = 100


class TextKey(BaseModel):
    complaint_id: str
    key: str


class TextKeysAsked(BaseModel):
    complaint_ids: list[str] = Field(min_length=1, max_length=MAX_BATCH)


class TextKeysGiven(BaseModel):
    """The keys found, by complaint id; a complaint left out has none (erased, or its text
    was never sealed): the same answer either way, as the single lookup's 410."""

    keys: dict[str, str]
