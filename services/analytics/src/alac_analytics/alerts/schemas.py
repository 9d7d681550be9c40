"""Alerts as the API shows them, and what a caller sends to detect or handle one."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from alac_analytics.periods import FIRST_DAY, LAST_DAY


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dimension: str
    value: str
    window_start: date
    window_end: date = Field(description="Exclusive")
    count: int
    baseline: float = Field(description="Expected count per window, from the value's history")
    p_value: float
    method: str
    status: str
    detected_at: datetime
    handled_by: str | None = Field(description="Who acknowledged or dismissed it (staff id)")
    handled_by_name: str | None = Field(
        default=None, description="Their name (from cases' staff.* events)"
    )
    handled_by_position: str | None = None
    handled_at: datetime | None
    note: str | None


class Detect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_end: date | None = Field(
        default=None, description="Exclusive; defaults to today", ge=FIRST_DAY, le=LAST_DAY
    )
    window_days: int = Field(default=30, ge=7, le=366, strict=True)
    baseline_windows: int = Field(default=6, ge=1, le=24, strict=True)
    alpha: float = Field(default=0.001, gt=0, lt=0.5)
    min_count: int = Field(default=5, ge=1, le=10000, strict=True)


class Handling(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=2000)


class ComplaintRef(BaseModel):
    """One complaint behind an alert: where to find it, never what it says (analytics holds no
    personal data or text)."""

    complaint_id: str
    case_id: str | None
    office: str | None
    received_on: date
    channel: str | None
    status: str


class AlertComplaints(BaseModel):
    alert_id: str
    dimension: str
    value: str
    window_start: date
    window_end: date = Field(description="Exclusive")
    count: int = Field(description="The count the alert was raised on")
    total: int = Field(
        description="Complaints of the window with the alert's value now (a complaint "
        "reclassified since detection is listed by its current values)"
    )
    complaints: list[ComplaintRef] = Field(description="Oldest first, at most `limit`")
    truncated: bool
