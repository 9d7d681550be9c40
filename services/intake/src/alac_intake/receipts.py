"""Receipt codes for anonymous follow-up.

A code is 25 Crockford base32 characters in five groups (125 bits). The first group (25 bits)
is a locator stored in clear to find the complaint; the other 20 characters (100 bits) are the
secret, stored only as an scrypt hash. Guessing is hopeless and a stolen database reveals no
usable code.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U to misread on the phone
_N, _R, _P = 2**14, 8, 1


def _random_chars(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def issue() -> tuple[str, str, str]:
    """A new code, its locator and the hash to store: (code, locator, stored_hash)."""
    locator = _random_chars(5)
    secret = _random_chars(20)
    groups = [locator] + [secret[i : i + 5] for i in range(0, 20, 5)]
    return "-".join(groups), locator, hash_secret(secret)


def hash_secret(secret: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(secret.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def normalise(code: str) -> str:
    """What a person typed or read out: case, spaces and dashes do not matter."""
    cleaned = "".join(ch for ch in code.upper() if ch.isalnum())
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")


def split(code: str) -> tuple[str, str] | None:
    cleaned = normalise(code)
    if len(cleaned) != 25 or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned[:5], cleaned[5:]


def verify(secret: str, stored: str) -> bool:
    _, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        secret.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate, base64.b64decode(digest))
