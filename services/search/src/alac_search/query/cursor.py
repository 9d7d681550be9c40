"""Search's cursors: the sort key of the last hit, signed with the kernel's cursor codec
(alac_kernel.cursors) so a corrupted or edited cursor, one from another sort order or signed
with another key answers 400 naming `query.cursor` instead of a wrong page or a 500.

The key is [sort value, document id]: the sort value is text (embedded engine, date order),
a number (BM25 or OpenSearch's _score; OpenSearch's date sort value, epoch milliseconds)."""

from __future__ import annotations

from typing import Any

from alac_kernel.cursors import CursorCodec

SHAPE: tuple[tuple[type, ...], ...] = ((str, int, float), (str,))


def encode(codec: CursorCodec, sort: str, key: list[Any]) -> str:
    return codec.encode(f"search:{sort}", key)


def decode(codec: CursorCodec, sort: str, cursor: str) -> list[Any]:
    return codec.decode(f"search:{sort}", cursor, SHAPE)
