"""An attachment as the API answers it (the bytes are downloaded on their own)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class AttachmentOut(BaseModel):
    id: str
    filename: str
    content_type: str
    size: int
    sha256: str
    stored_at: datetime
