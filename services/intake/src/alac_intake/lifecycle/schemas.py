"""What the withdrawal, erasure and retention API receives and answers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from alac_intake.complaints.schemas import NoNul


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    reason: Annotated[str, Field(max_length=2000), NoNul] | None = None


class Withdrawn(BaseModel):
    id: str
    status: str
    withdrawn_by: str


class Erased(BaseModel):
    id: str
    personal_data_purged_at: datetime


class RetentionPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    personal_data_days: int = Field(
        ge=30, le=3650, description="Days after registration before personal data is erased."
    )
