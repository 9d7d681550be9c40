"""Near-duplicate texts without comparing every pair: MinHash signatures cut into LSH bands.

A complaint's crux is normalised (NFKC, case-folded, Cyrillic transliterated to Latin so a
text retyped in the other alphabet or with look-alike letters still matches, punctuation
dropped, whitespace collapsed) and cut into overlapping character SHINGLE-grams. The MinHash
signature holds, for each of BANDS * ROWS hash functions, the smallest hash of any shingle:
two texts agree on one position with probability equal to the Jaccard similarity J of
their shingle sets. A band is ROWS consecutive positions hashed into one bucket; two texts
land in the same bucket of a band with probability J**ROWS, and share at least one bucket of
the BANDS bands with probability

    P(J) = 1 - (1 - J**ROWS) ** BANDS

With ROWS = 5 and BANDS = 50 (250 hash functions, 50 bucket rows per complaint):

    J = 0.80  P > 0.999999999  (a resubmission with a few words changed: J 0.85-0.95)
    J = 0.70  P = 0.9999
    J = 0.60  P = 0.983        (texts with difflib ratio >= 0.9: J >= 0.69 in 99 %, lowest
    J = 0.50  P = 0.80          seen 0.59, on 7,000 edited 300-character complaints)
    J = 0.30  P = 0.11
    J = 0.24  P = 0.039        (unrelated complaints on the same topic: J median 0.10,
    J = 0.10  P = 0.0005        99th percentile 0.24)

Checked with these bands (the bench's corpus generator, Russian, 300 characters): none of
5,890 edited pairs with ratio >= 0.9 was missed; 0.37 % of 44,850 unrelated pairs collided.

Sharing a bucket only makes a candidate: every candidate is then checked with the exact
measure (`duplicates.service.similarity` >= 0.9), so a collision costs one comparison, never a
false flag.

The parameters are stored implicitly in every `complaint_text_bands` row: changing any of
them (or the normalisation) needs a new migration that recomputes the bands.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

import numpy as np

SHINGLE = 5
ROWS = 5
BANDS = 50
_PRIME = (1 << 61) - 1
_MAX = (1 << 32) - 1

# Fixed seeds: signatures are stored, so the hash functions must be the same in every process.
_rng = np.random.default_rng(20261123)
_A = _rng.integers(1, 1 << 32, size=BANDS * ROWS, dtype=np.uint64)
_B = _rng.integers(0, 1 << 32, size=BANDS * ROWS, dtype=np.uint64)

# Russian and Kazakh Cyrillic to Latin (close to the Kazakh Latin alphabet of 2021); Latin
# letters stay, so Cyrillic text with Latin look-alikes (а/a, о/o, е/e, с/c, р/p) folds to one.
_TRANSLIT = str.maketrans(
    {
        "а": "a", "ә": "a", "б": "b", "в": "v", "г": "g", "ғ": "g", "д": "d", "е": "e",
        "ё": "e", "ж": "zh", "з": "z", "и": "i", "й": "i", "і": "i", "к": "k", "қ": "q",
        "л": "l", "м": "m", "н": "n", "ң": "n", "о": "o", "ө": "o", "п": "p", "р": "r",
        "с": "s", "т": "t", "у": "u", "ұ": "u", "ү": "u", "ф": "f", "х": "h", "һ": "h",
        "ц": "c", "ч": "ch", "ш": "sh", "щ": "sh", "ъ": "", "ы": "y", "ь": "", "э": "e",
        "ю": "iu", "я": "ia",
        # Kazakh Latin letters with diacritics, and the look-alike Latin c for Cyrillic с.
        "ä": "a", "ğ": "g", "ı": "y", "ñ": "n", "ö": "o", "ş": "sh", "ū": "u", "ü": "u",
        "ç": "ch", "c": "s",
    }
)  # fmt: skip
_NOT_WORD = re.compile(r"[\W_]+")


@functools.lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    # Cached: the same recent texts are the candidates of many new complaints.
    folded = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    return _NOT_WORD.sub(" ", folded).strip()


def shingles(text: str) -> set[str]:
    norm = normalise(text)
    if len(norm) <= SHINGLE:
        return {norm}
    return {norm[i : i + SHINGLE] for i in range(len(norm) - SHINGLE + 1)}


def signature(text: str) -> np.ndarray:
    """BANDS * ROWS minimum hashes: h_i(x) = (a_i * x + b_i) mod (2^61 - 1), x a 32-bit hash
    of the shingle (universal hashing; a_i * x < 2^64, the sum may wrap, which is
    deterministic and still mixes well)."""
    xs = np.fromiter(
        (
            int.from_bytes(hashlib.blake2b(s.encode(), digest_size=4).digest(), "little")
            for s in shingles(text)
        ),
        dtype=np.uint64,
    )
    hashed = (np.outer(xs, _A) + _B) % np.uint64(_PRIME) & np.uint64(_MAX)
    return hashed.min(axis=0)


def bands(text: str) -> list[tuple[int, int]]:
    """(band, bucket) pairs; the bucket is a signed 64-bit hash of the band's ROWS minimums."""
    return list(_bands(text))


@functools.lru_cache(maxsize=256)
def _bands(text: str) -> tuple[tuple[int, int], ...]:
    # Registering a complaint asks for the same crux's bands three times (the comparisons
    # before the transaction, the lookup and the index inside it): computed once.
    sig = signature(text)
    return tuple(
        (
            band,
            int.from_bytes(
                hashlib.blake2b(
                    sig[band * ROWS : (band + 1) * ROWS].tobytes(), digest_size=8
                ).digest(),
                "little",
                signed=True,
            ),
        )
        for band in range(BANDS)
    )
