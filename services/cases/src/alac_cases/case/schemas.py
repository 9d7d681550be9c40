"""What the cases API reads and writes about a case."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, Field


class CaseRead(BaseModel):
    id: str
    complaint_id: str
    office: str
    status: str
    channel: str
    request_type: str | None
    area: str | None
    anonymous: bool
    crux: str
    received_at: datetime
    opened_at: datetime
    version: int
    assignee: str | None = None
    assignee_name: str | None = Field(
        default=None, description="The assignee's name from the staff registry"
    )
    outcome: str | None = None
    closed_at: datetime | None = None


class CasePage(BaseModel):
    items: list[CaseRead]
    next_before: datetime | None
    next_before_id: str | None = None


def case_page(cases: Sequence[object], limit: int) -> CasePage:
    """A page of cases; a full page names the cursor of the next one."""
    items = [CaseRead.model_validate(c, from_attributes=True) for c in cases]
    last = items[-1] if len(items) == limit else None
    return CasePage(
        items=items,
        next_before=last.opened_at if last else None,
        next_before_id=last.id if last else None,
    )
