"""Marks are stripped one cached character at a time (alac_search.analysis.text._strip_char):
the same folding as decomposing every character of the text each time, on every character
of the Basic Multilingual Plane below U+3000, alone and in short runs."""

from __future__ import annotations

import unicodedata

from alac_search.analysis.text import _strip_marks, fold, fold_word

_KEEP = frozenset("й")


def decomposed_each_time(text: str) -> str:
    out = []
    for char in unicodedata.normalize("NFC", text):
        if char in _KEEP:
            out.append(char)
            continue
        out.extend(
            c
            for c in unicodedata.normalize("NFD", char)
            if not unicodedata.category(c).startswith("M")
        )
    return unicodedata.normalize("NFC", "".join(out))


def test_stripping_by_cached_characters_is_the_same_folding():
    chars = "".join(chr(i) for i in range(0x20, 0x3000))
    assert _strip_marks(chars) == decomposed_each_time(chars)
    for i in range(0, len(chars), 3):
        assert _strip_marks(chars[i : i + 3]) == decomposed_each_time(chars[i : i + 3])
    assert _strip_marks("Ёлка, café, ҚАЗАҚША, йод") == "Елка, cafe, ҚАЗАҚША, йод"
    assert fold_word("Взяткой") == fold("Взяткой") == "взяткой"
