"""Opaque cursors: the sort key of the last hit, with a check value so a corrupted or edited
cursor, or one from another sort order, answers 400 instead of a wrong page. Not a secret:
a forged cursor only moves the caller within results it may already see."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from alac_search.engines.base import CursorError

# The cursor only encodes a position in results the caller may already see (the tenant is part
# of every query), so a fixed key is enough to detect tampering and corruption.
_KEY = b"alac-search-cursor-v1"


def encode(sort: str, key: list[Any]) -> str:
    body = json.dumps([sort, key], separators=(",", ":"), ensure_ascii=False).encode()
    mac = hmac.new(_KEY, body, hashlib.sha256).digest()[:8]
    return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")


def decode(sort: str, cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        mac, body = raw[:8], raw[8:]
        if not hmac.compare_digest(mac, hmac.new(_KEY, body, hashlib.sha256).digest()[:8]):
            raise CursorError("the cursor was not given out by this search")
        cursor_sort, key = json.loads(body)
    except CursorError:
        raise
    except (ValueError, TypeError) as exc:
        raise CursorError("the cursor could not be read") from exc
    if cursor_sort != sort or not isinstance(key, list) or len(key) != 2:
        raise CursorError("the cursor belongs to another sort order")
    return key
