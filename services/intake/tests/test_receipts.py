"""Receipt codes: the only way an anonymous complainant can follow a complaint up."""

from __future__ import annotations

import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from alac_intake import receipts

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{5}(-[0-9A-HJKMNP-TV-Z]{5}){4}$")


def test_alphabet_is_crockford_base32():
    assert len(receipts.ALPHABET) == len(set(receipts.ALPHABET)) == 32
    assert not set("ILOU") & set(receipts.ALPHABET)


def test_issue_gives_25_chars_in_5_groups_and_a_hash_of_the_secret_only():
    code, locator, stored = receipts.issue()
    assert CODE.match(code), code
    assert code.split("-")[0] == locator
    assert receipts.split(code) == (locator, code.replace("-", "")[5:])
    secret = receipts.split(code)[1]
    assert stored.startswith("scrypt$")
    assert secret not in stored and locator not in stored
    assert receipts.verify(secret, stored)


def test_secret_has_at_least_80_bits():
    code, _, _ = receipts.issue()
    _, secret = receipts.split(code)
    assert len(secret) == 20
    assert len(secret) * math.log2(len(receipts.ALPHABET)) >= 80


def test_codes_are_random():
    codes = {receipts.issue()[0] for _ in range(3)}
    assert len(codes) == 3


def test_the_same_secret_hashes_differently_each_time():
    a, b = receipts.hash_secret("S" * 20), receipts.hash_secret("S" * 20)
    assert a != b  # salted
    assert receipts.verify("S" * 20, a) and receipts.verify("S" * 20, b)


def test_verify_ignores_case_dashes_and_misreadings_but_not_a_wrong_code():
    code, locator, stored = receipts.issue()
    _, secret = receipts.split(code)
    typed = code.lower().replace("-", " ")
    assert receipts.split(typed) == (locator, secret)
    # Misreadings: O for 0, I and L for 1.
    misread = code.replace("0", "O").replace("1", "l")
    assert receipts.split(misread) == (locator, secret)
    assert receipts.verify(receipts.split(misread)[1], stored)
    wrong = secret[:-1] + ("0" if secret[-1] != "0" else "1")
    assert not receipts.verify(wrong, stored)
    assert not receipts.verify(secret.lower(), stored)  # verify takes the normalised secret


def test_normalise():
    assert receipts.normalise(" ab-cd oil ") == "ABCD011"
    assert receipts.normalise("o-I-l-O") == "0110"


def test_split_refuses_wrong_length_or_letters_outside_the_alphabet():
    code, _, _ = receipts.issue()
    assert receipts.split(code[:-1]) is None
    assert receipts.split(code + "A") is None
    assert receipts.split("U" + code[1:]) is None  # U is not in Crockford's alphabet
    assert receipts.split("Ж" + code[1:]) is None
    assert receipts.split("") is None


codes = st.text(alphabet=receipts.ALPHABET, min_size=25, max_size=25)


@st.composite
def typed_forms(draw, code: str) -> str:
    """How a person might type or read out a code: any case, any dash/space grouping,
    0 read as O and 1 read as I or L. The draws do not depend on the code's letters, so the
    strategy stays deterministic even for a code from `issue()`."""
    out = []
    for ch in code:
        pick = draw(st.integers(min_value=0, max_value=4))
        sep = draw(st.sampled_from(["", "", "-", " "]))
        if ch == "0":
            ch = ["0", "O", "o", "0", "O"][pick]
        elif ch == "1":
            ch = ["1", "I", "i", "L", "l"][pick]
        elif pick % 2:
            ch = ch.lower()
        out.append(ch + sep)
    return "".join(out)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), code=codes)
def test_split_of_any_typed_form_round_trips(data, code):
    grouped = "-".join(code[i : i + 5] for i in range(0, 25, 5))
    typed = data.draw(typed_forms(grouped))
    locator, secret = receipts.split(typed)
    assert locator + secret == code
    assert receipts.normalise(typed) == code
    assert receipts.split(grouped) == receipts.split(code) == (locator, secret)


@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_issued_codes_round_trip(data):
    code, locator, _ = receipts.issue()
    typed = data.draw(typed_forms(code))
    assert receipts.split(typed) == (locator, code.replace("-", "")[5:])
