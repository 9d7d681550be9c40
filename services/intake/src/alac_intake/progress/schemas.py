"""What the tenant admin's list of undelivered complainant e-mails answers."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class FailedMail(BaseModel):
    id: str = Field(description="The delivery (the e-mail's Message-ID is made from it)")
    complaint_id: str = Field(description="The complaint the e-mail was for")
    complaint_reference: str = Field(
        description="The complaint's short reference (the first 8 characters of its id)"
    )
    event_type: str | None = Field(
        description="The case event that caused it: case.opened, case.status_changed, ..."
    )
    state: Literal["failed", "pending"] = Field(
        description="failed: given up; pending: failed at its last attempt, waiting for the next"
    )
    attempts: int
    last_error: str | None = Field(
        description="The mail server's answer, with any e-mail address in it replaced by [address]"
    )
    created_at: datetime = Field(description="When the e-mail was decided")
    next_attempt_at: datetime | None = Field(description="pending: when it is tried again")
    retryable: bool = Field(
        description="Whether POST .../retry may send it now: not when the server may already "
        "have taken it (sending interrupted), nor when a later e-mail to the same complainant "
        "was sent or waits"
    )


class FailedMailPage(BaseModel):
    items: list[FailedMail]
    next: str | None = Field(description="Cursor of the next (older) page, null on the last")
