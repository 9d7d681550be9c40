"""Opaque, signed keyset cursors (HMAC-SHA256 under ALAC_CURSOR_KEY).

A cursor is the sort key of the last item of a page. It is signed because the decoded values
go into a query: an edited cursor must be refused (400 naming the cursor parameter), never
reach the database or engine with a value of the wrong type (the forged list sort key of
issue 11 answered 500). The key is a secret setting, not a constant in the source, so nobody
can sign a cursor of their own; a cursor from another deployment (another key) is refused.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from alac_kernel.crypto import load_secret_key, new_key
from alac_kernel.settings import Settings

KEY_ENV = "ALAC_CURSOR_KEY"
KEY_FILE = "cursor.key"
TAG_BYTES = 16
MAX_TEXT = 512  # no legitimate sort value is longer


class CursorError(ValueError):
    """A cursor that was not given out here: corrupted, edited, signed with another key, for
    another listing or sort, or with values of the wrong shape."""


def load_cursor_key(settings: Settings, environ: Mapping[str, str] | None = None) -> bytes:
    return load_secret_key(settings, KEY_ENV, KEY_FILE, environ)


class CursorCodec:
    def __init__(self, key: bytes | None = None) -> None:
        # Without a key (tests, tools) a random one: its cursors work only in this process.
        self._key = key if key is not None else new_key()

    def _tag(self, body: bytes) -> bytes:
        return hmac.new(self._key, body, hashlib.sha256).digest()[:TAG_BYTES]

    def encode(self, kind: str, values: Sequence[Any]) -> str:
        body = json.dumps([kind, list(values)], separators=(",", ":"), ensure_ascii=False)
        raw = body.encode()
        return base64.urlsafe_b64encode(self._tag(raw) + raw).decode().rstrip("=")

    def decode(self, kind: str, token: str, shape: Sequence[tuple[type, ...]]) -> list[Any]:
        """The values, checked against `shape` (allowed types per position; bool is never an
        int here, floats must be finite, text at most MAX_TEXT characters)."""
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError) as exc:
            raise CursorError("the cursor could not be read") from exc
        tag, body = raw[:TAG_BYTES], raw[TAG_BYTES:]
        if len(tag) != TAG_BYTES or not hmac.compare_digest(tag, self._tag(body)):
            raise CursorError("the cursor was not given out here (edited or from elsewhere)")
        try:
            decoded = json.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise CursorError("the cursor could not be read") from exc
        if not (isinstance(decoded, list) and len(decoded) == 2 and isinstance(decoded[1], list)):
            raise CursorError("the cursor could not be read")
        cursor_kind, values = decoded[0], list(decoded[1])
        if cursor_kind != kind:
            raise CursorError("the cursor belongs to another listing or sort order")
        if len(values) != len(shape):
            raise CursorError(f"the cursor must hold {len(shape)} values")
        for value, allowed in zip(values, shape, strict=True):
            if not _fits(value, allowed):
                raise CursorError("the cursor holds a value of the wrong type")
        return values


def _fits(value: Any, allowed: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in allowed:
        return False
    if not isinstance(value, allowed):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return not (isinstance(value, str) and len(value) > MAX_TEXT)
