"""The summary's answer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class Summary(BaseModel):
    tenant: str
    office: str | None
    period_from: datetime | None
    period_to: datetime | None
    total: int | None
    by_status: dict[str, int | None]
    by_channel: dict[str, int | None]
    by_area: dict[str, int | None]
    suppression: dict[str, object] | None = None
