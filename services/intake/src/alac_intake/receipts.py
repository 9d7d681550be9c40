"""Receipt codes for anonymous follow-up.

A code is 25 Crockford base32 characters in five groups (125 bits). The first group (25 bits)
is a locator stored in clear to find the complaint; the other 20 characters (100 bits) are the
secret, stored only as a hash. Guessing is hopeless and a stolen database reveals no usable code.

New receipts are stored as an HMAC-SHA256 of the secret under the tenant's receipt key
(`hmac-sha256$<key version>$<hex>`), a random key wrapped by intake's master key, which is held
outside the database (docs/intake.md): a slow hash buys nothing against a 100-bit random secret
(2**100 guesses stay out of reach at any speed) and cost 56 % of intake's CPU. Receipts issued
before are scrypt hashes (`scrypt$...`, `issue`, `hash_secret`) and stay verifiable.
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


KEYED = "hmac-sha256"


def draw() -> tuple[str, str, str]:
    """A new code, its locator and its secret: (code, locator, secret)."""
    locator = _random_chars(5)
    secret = _random_chars(20)
    groups = [locator] + [secret[i : i + 5] for i in range(0, 20, 5)]
    return "-".join(groups), locator, secret


def keyed_hash(secret: str, key: bytes, version: int) -> str:
    """What is stored for a new receipt: the HMAC of the secret under the tenant's receipt key
    (`version` names the key, so a verification finds it)."""
    digest = hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()
    return f"{KEYED}${version}${digest}"


def keyed_version(stored: str) -> int | None:
    """The receipt key version of a keyed hash; None for an scrypt hash (or anything else)."""
    kind, _, rest = stored.partition("$")
    version = rest.partition("$")[0]
    return int(version) if kind == KEYED and version.isdigit() else None


def verify_keyed(secret: str, stored: str, key: bytes) -> bool:
    candidate = keyed_hash(secret, key, keyed_version(stored) or 0)
    return hmac.compare_digest(candidate.encode(), stored.encode())


def issue() -> tuple[str, str, str]:
    """The scrypt form receipts had before keyed hashes (kept for compatibility and tests):
    (code, locator, stored_hash)."""
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
