"""Property-based tests (hypothesis) of intake's validators: codes, receipt normalisation,
dates and text lengths. Every generated input is either accepted as documented or refused
with a ValidationError naming the field; nothing else escapes."""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from alac_intake import receipts
from alac_intake.attachments.service import clean_filename
from alac_intake.channels.mail import html_to_text
from alac_intake.complaints.schemas import ComplaintCreate, ContactDetails

CODE = re.compile(r"[a-z][a-z0-9_]*")
# What pydantic's str_strip_whitespace removes: Unicode White_Space (Python's isspace() also
# counts the information separators \x1c-\x1f, which pydantic keeps).
WHITESPACE = "".join(
    c for c in map(chr, range(0x3001)) if c.isspace() and c not in "\x1c\x1d\x1e\x1f"
)


def _strip(value: str) -> str:
    return value.strip(WHITESPACE)


FAST = settings(max_examples=150, deadline=None)


@FAST
@given(st.text(max_size=80))
def test_a_code_is_accepted_exactly_when_it_is_lowercase_snake_and_short(value):
    code = _strip(value)  # surrounding whitespace is forgiven
    try:
        made = ComplaintCreate(channel=value, crux="x")
    except ValidationError as exc:
        assert [e["loc"] for e in exc.errors()] == [("channel",)]
        assert not (CODE.fullmatch(code) and len(code) <= 64)
    else:
        assert made.channel == code and CODE.fullmatch(code) and 1 <= len(code) <= 64


@FAST
@given(st.text(max_size=25000).filter(lambda t: len(t) < 200 or len(t) > 19000))
def test_crux_length_is_1_to_20000_after_stripping(value):
    visible = any(c.isprintable() and not c.isspace() for c in value)
    try:
        made = ComplaintCreate(channel="hotline", crux=value)
    except ValidationError as exc:
        assert {e["loc"] for e in exc.errors()} == {("crux",)}
        # NUL is refused because PostgreSQL text cannot store it.
        assert not visible or len(value.strip()) > 19000 or "\x00" in value
    else:
        assert visible and "\x00" not in value
        assert made.crux.strip() == value.strip() and len(made.crux) <= 20000


ALPHABET = st.sampled_from(receipts.ALPHABET)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(ALPHABET, min_size=25, max_size=25).map("".join),
    st.sampled_from(["-", " ", "", "  "]),
    st.booleans(),
)
def test_a_receipt_code_survives_how_people_write_it(chars, sep, lower):
    groups = [chars[i : i + 5] for i in range(0, 25, 5)]
    typed = sep.join(groups)
    typed = typed.lower() if lower else typed
    # Letters people confuse with digits are read as the digits.
    typed = typed.replace("0", "O").replace("1", "l") if lower else typed
    assert receipts.split(typed) == (chars[:5], chars[5:])


@FAST
@given(st.text(max_size=40))
def test_split_never_raises_and_accepts_only_25_alphabet_chars(text):
    parts = receipts.split(text)
    cleaned = receipts.normalise(text)
    if parts is None:
        assert len(cleaned) != 25 or any(c not in receipts.ALPHABET for c in cleaned)
    else:
        assert "".join(parts) == cleaned and len(cleaned) == 25


def test_issued_codes_have_the_documented_shape_and_verify():
    code, locator, stored = receipts.issue()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){4}[0-9A-HJKMNP-TV-Z]{5}", code)
    assert receipts.split(code)[0] == locator and receipts.verify(receipts.split(code)[1], stored)


@FAST
@given(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1)),
    st.one_of(st.none(), st.integers(min_value=-12 * 60, max_value=14 * 60)),
)
def test_received_at_needs_an_offset_and_is_not_in_the_future(moment, offset_min):
    value = moment if offset_min is None else moment.replace(
        tzinfo=timezone(timedelta(minutes=offset_min))
    )  # fmt: skip
    try:
        made = ComplaintCreate(channel="hotline", crux="x", received_at=value.isoformat())
    except ValidationError as exc:
        (err,) = exc.errors()
        assert err["loc"] == ("received_at",)
        assert err["type"] == (
            "datetime_offset_required" if offset_min is None else "datetime_in_future"
        )
        assert offset_min is None or value > datetime.now(UTC)
    else:
        assert offset_min is not None and made.received_at.tzinfo is not None
        assert made.received_at == value and made.received_at <= datetime.now(UTC)


@FAST
@given(st.text(alphabet=string.digits + " +()-abc", max_size=30))
def test_phone_shape(value):
    try:
        ContactDetails(phone=value)
    except ValidationError as exc:
        assert exc.errors()[0]["loc"] == ("phone",)
    else:
        assert re.fullmatch(r"\+?[0-9 ()\-]{5,25}", value.strip())


@FAST
@given(st.text(max_size=400))
def test_filenames_are_display_only(name):
    cleaned = clean_filename(name, "application/pdf")
    assert "/" not in cleaned and "\\" not in cleaned and 1 <= len(cleaned) <= 255
    assert all(c.isprintable() for c in cleaned)


@FAST
@given(st.text(max_size=300))
def test_html_to_text_never_raises_and_drops_tags(html):
    text = html_to_text(f"<p>{html}</p><script>secret()</script>")
    assert "secret()" not in text or "secret()" in html


@pytest.mark.parametrize("value", ["", " ", "\t"])
def test_blank_crux_is_refused(value):
    with pytest.raises(ValidationError):
        ComplaintCreate(channel="hotline", crux=value)
