"""The content type of an attachment, read from its bytes (magic numbers via `filetype`), never
trusted from the sender."""

from __future__ import annotations

import filetype

ALLOWED = {
    "application/pdf": ".pdf",
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "text/plain": ".txt",
}
# Types a sender may declare when it does not know better; the bytes then decide.
UNSPECIFIC = {"application/octet-stream", "binary/octet-stream", ""}


def detect(data: bytes) -> str | None:
    """The detected type, or None when no signature matches and it is not plain UTF-8 text."""
    kind = filetype.guess_mime(data)
    if kind is not None:
        return kind
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Plain text has no magic number: accept UTF-8 without control characters (bar whitespace).
    if any(ord(c) < 32 and c not in "\t\n\r\f" for c in text):
        return None
    return "text/plain"


def bare(content_type: str | None) -> str:
    return (content_type or "").split(";")[0].strip().lower()
