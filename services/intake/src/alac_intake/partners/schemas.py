"""The partner API's request and response bodies (docs/partners.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class PartnerCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Name of the partner organisation")
    client_id: str = Field(
        min_length=3,
        max_length=63,
        description="OAuth client id of the partner system (lower-case letters, digits, '-')",
    )


class PartnerRead(BaseModel):
    id: str
    client_id: str
    name: str
    active: bool
    origin: str = Field(description="registered (through this API) or seen (known from its token)")
    created_at: datetime
    secret_rotated_at: datetime | None = None


class PartnerCredentials(PartnerRead):
    client_secret: str = Field(description="Shown only in this answer; store it now")
    token_url: str = Field(description="Where the partner gets tokens (client_credentials)")
    previous_secret_valid_for_s: int | None = Field(
        default=None, description="After a rotation: how long the previous secret still works"
    )


class PartnerComplaintRead(BaseModel):
    """What a partner system may know of a complaint it submitted."""

    id: str
    office: str
    received_at: datetime
    status: str = Field(
        description="As the complainant sees it: received, under_review, awaiting_your_consent, "
        "in_progress, closed, withdrawn"
    )


class SubscriptionCreate(BaseModel):
    url: str = Field(max_length=2048, description="https:// URL of the receiver")
    event_types: list[str] = Field(min_length=1, max_length=10, description="partner.* types")


class SubscriptionPatch(BaseModel):
    status: Literal["active", "disabled"]


class SubscriptionRead(BaseModel):
    id: str
    url: str
    event_types: list[str]
    status: str
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime
    deliveries: dict[str, int]


class SubscriptionCreated(SubscriptionRead):
    secret: str = Field(description="whsec_ signing secret, shown only in this answer")


class ReplayRequest(BaseModel):
    after: str | None = Field(
        default=None,
        description="A feed cursor: events after it are delivered again; null = from the start",
    )


class FeedPage(BaseModel):
    events: list[dict] = Field(description="partner.* events (CloudEvents JSON), in order")
    next: str = Field(description="Cursor to pass as `after` for the events that follow")
