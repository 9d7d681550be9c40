"""How text becomes index terms, identically at index and at query time.

Every word is case-folded (str.casefold, so Kazakh І/і and Latin İ fold properly) and loses
combining marks (ё→е, é→e; й stays, see _KEEP); the Kazakh letters
ә ғ қ ң ө ұ ү һ і are letters of their own in Unicode, not letters with marks, so they survive.

Each word gives three forms, indexed in three columns:
- plain: the folded word, for phrases and prefixes;
- stem: its Snowball stem (Russian for Cyrillic, English for Latin) so "взятки" and "взяткой"
  meet "взятка", "bribes" meets "bribe". Snowball has no Kazakh stemmer, so a word with a
  Kazakh-only letter keeps its plain form rather than being cut by Russian rules;
- latin: the word in the 2021 Kazakh Latin alphabet, diacritics dropped (ä→a, ş→s, ı→i), so a
  Kazakh word written in Cyrillic, in the new Latin or in Latin typed without diacritics is
  found by any of them. Latin words pass through unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

# Letters and digits; the underscore (connector punctuation) separates words.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_KAZAKH_ONLY = set("әғқңөұүһі")

# Cyrillic → 2021 Kazakh Latin alphabet (Decree of 2021), Russian-only letters by their usual
# Latin renderings. Applied after folding, so lower case only.
_TO_LATIN = {
    "а": "a", "ә": "ä", "б": "b", "в": "v", "г": "g", "ғ": "ğ", "д": "d", "е": "e", "ё": "io",
    "ж": "j", "з": "z", "и": "i", "й": "i", "к": "k", "қ": "q", "л": "l", "м": "m", "н": "n",
    "ң": "ñ", "о": "o", "ө": "ö", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ұ": "ū",
    "ү": "ü", "ф": "f", "х": "h", "һ": "h", "ц": "ts", "ч": "ç", "ш": "ş", "щ": "şş", "ъ": "",
    "ы": "y", "і": "ı", "ь": "", "э": "e", "ю": "iu", "я": "ia",
}  # fmt: skip
_TRANSLIT = str.maketrans(_TO_LATIN)
# Latin letters the combining-mark strip does not reach.
_LATIN_FOLD = str.maketrans({"ı": "i", "ø": "o", "ß": "ss", "æ": "ae", "œ": "oe", "đ": "d"})


# й keeps its breve: it is a letter of its own to the Russian stemmer ("взяткой" → "взятк").
_KEEP = frozenset("й")


@lru_cache(maxsize=8192)
def _strip_char(char: str) -> str:
    """One character without its combining marks (cached: texts use a few hundred distinct
    characters, and decomposing each occurrence was most of the time of a snippet)."""
    if char in _KEEP:
        return char
    return "".join(
        c for c in unicodedata.normalize("NFD", char) if not unicodedata.category(c).startswith("M")
    )


def _strip_marks(text: str) -> str:
    return unicodedata.normalize(
        "NFC", "".join(map(_strip_char, unicodedata.normalize("NFC", text)))
    )


def fold(text: str) -> str:
    """Case-fold and drop combining marks, keeping the Kazakh letters."""
    return _strip_marks(unicodedata.normalize("NFKC", text).casefold())


@lru_cache(maxsize=65536)
def fold_word(word: str) -> str:
    """`fold` of one word, cached: snippets fold every word of every hit's text."""
    return fold(word)


def words(text: str) -> list[str]:
    """The folded words of a text, in order."""
    return _WORD.findall(fold(text))


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a folded word (Kazakh words keep their form)."""
    if _CYRILLIC.search(word):
        if _KAZAKH_ONLY.intersection(word):
            return word
        return _stemmer("russian").stemWord(word)
    return _stemmer("english").stemWord(word)


@lru_cache(maxsize=65536)
def latin_form(word: str) -> str:
    """A folded word in Kazakh Latin without diacritics (Latin words unchanged)."""
    return _strip_marks(word.translate(_TRANSLIT)).translate(_LATIN_FOLD)


@dataclass(frozen=True)
class Analysed:
    plain: str
    stem: str
    latin: str


def analyse_word(word: str) -> Analysed:
    """The three index forms of one folded word."""
    return Analysed(plain=word, stem=stem(word), latin=latin_form(word))


def columns(text: str) -> tuple[str, str, str]:
    """The plain, stem and latin column texts of a document text."""
    ws = words(text)
    return (
        " ".join(ws),
        " ".join(stem(w) for w in ws),
        " ".join(latin_form(w) for w in ws),
    )
