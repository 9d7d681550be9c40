"""What the vault's key service answers (the contact itself is complaints.schemas
ContactDetails, as the complaint receives it)."""

from __future__ import annotations

from pydantic import BaseModel


class TextKey(BaseModel):
    complaint_id: str
    key: str
