"""The kernel's signed cursors: any edit, another key, another listing or a value of the wrong
shape is a CursorError (answered 400 by the services), never a value handed to a query."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import stat

import pytest

from alac_kernel.crypto import b64
from alac_kernel.cursors import KEY_ENV, KEY_FILE, CursorCodec, CursorError, load_cursor_key
from alac_kernel.settings import Settings

SHAPE = ((str, int, float), (str,))


def _forge(key: bytes, kind: str, values: object, tag_bytes: int = 16) -> str:
    body = json.dumps([kind, values]).encode()
    tag = hmac.new(key, body, hashlib.sha256).digest()[:tag_bytes]
    return base64.urlsafe_b64encode(tag + body).decode().rstrip("=")


def test_round_trip_keeps_the_values():
    codec = CursorCodec(os.urandom(32))
    for values in (["2025-03-01T10:00:00+00:00", "id-1"], [-3.25, "b"], [1740823200000, "c"]):
        assert codec.decode("search:date", codec.encode("search:date", values), SHAPE) == values


def test_a_forged_list_sort_key_is_refused():
    """Issue 11: a cursor carrying a list as sort key answered 500."""
    key = os.urandom(32)
    codec = CursorCodec(key)
    # Signed with the right key (as if it leaked), the shape check still refuses it.
    with pytest.raises(CursorError, match="wrong type"):
        codec.decode("search:date", _forge(key, "search:date", [["a", "b"], "id"]), SHAPE)
    # The old constant key from the source no longer signs anything.
    old = _forge(b"alac-search-cursor-v1", "search:date", [["a"], "id"], tag_bytes=8)
    with pytest.raises(CursorError):
        codec.decode("search:date", old, SHAPE)


@pytest.mark.parametrize(
    "values",
    [[True, "id"], [float("nan"), "id"], [None, "id"], ["x", 5], ["x"], ["x", "y", "z"],
     [{"a": 1}, "id"], ["x" * 600, "id"]],
)  # fmt: skip
def test_values_of_the_wrong_shape_are_refused(values):
    key = os.urandom(32)  # correctly signed: only the shape check stands in the way
    with pytest.raises(CursorError):
        CursorCodec(key).decode("k", _forge(key, "k", values), SHAPE)


def test_a_flipped_byte_another_key_or_another_kind_is_refused():
    codec = CursorCodec(os.urandom(32))
    token = codec.encode("search:date", ["2025", "id"])
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    for position in (0, len(raw) - 3):
        flipped = bytearray(raw)
        flipped[position] ^= 0x01
        edited = base64.urlsafe_b64encode(bytes(flipped)).decode().rstrip("=")
        with pytest.raises(CursorError):
            codec.decode("search:date", edited, SHAPE)
    with pytest.raises(CursorError):
        CursorCodec(os.urandom(32)).decode("search:date", token, SHAPE)
    with pytest.raises(CursorError, match="another listing"):
        codec.decode("search:relevance", token, SHAPE)
    for garbage in ("", "garbage", "!!!", "a" * 7):
        with pytest.raises(CursorError):
            codec.decode("search:date", garbage, SHAPE)


def test_the_key_is_a_setting_generated_once_in_the_embedded_mode(tmp_path):
    settings = Settings(data_dir=tmp_path)
    first = load_cursor_key(settings, environ={})
    assert load_cursor_key(settings, environ={}) == first
    assert stat.S_IMODE((tmp_path / KEY_FILE).stat().st_mode) == 0o600
    given = os.urandom(32)
    assert load_cursor_key(settings, environ={KEY_ENV: b64(given)}) == given
    with pytest.raises(ValueError, match="32 bytes"):
        load_cursor_key(settings, environ={KEY_ENV: "c2hvcnQ="})
    prod = Settings.model_construct(profile="production", data_dir=tmp_path / "p")
    with pytest.raises(ValueError, match=KEY_ENV):
        load_cursor_key(prod, environ={})
