"""Envelope encryption for the personal-data vault (AES-GCM from `cryptography`).

A master key (from settings) wraps one data key per tenant and version; data keys encrypt the
contact records. Rotating a data key re-encrypts rows in small batches while old versions stay
readable; rotating the master key only re-wraps the small data keys.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alac_kernel.settings import Settings

MASTER_ENV = "ALAC_INTAKE_MASTER_KEY"
PREVIOUS_ENV = "ALAC_INTAKE_PREVIOUS_MASTER_KEYS"
KEY_FILE = "intake-master.key"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def key_id(key: bytes) -> str:
    """Names a master key without revealing it."""
    return hashlib.sha256(b"alac-master-key-id" + key).hexdigest()[:16]


def seal(key: bytes, plaintext: bytes, aad: str) -> str:
    """nonce || ciphertext+tag, base64. The AAD binds the ciphertext to its row, so a ciphertext
    copied onto another complaint or tenant fails to decrypt."""
    nonce = secrets.token_bytes(12)
    return b64(nonce + AESGCM(key).encrypt(nonce, plaintext, aad.encode()))


def open_sealed(key: bytes, sealed: str, aad: str) -> bytes:
    raw = unb64(sealed)
    return AESGCM(key).decrypt(raw[:12], raw[12:], aad.encode())


def _decode_key(text: str, what: str) -> bytes:
    try:
        key = unb64(text.strip())
    except ValueError as exc:
        raise ValueError(f"{what} is not base64url") from exc
    if len(key) != 32:
        raise ValueError(f"{what} must be 32 bytes (base64url of 256 bits)")
    return key


@dataclass
class MasterKeys:
    """The current master key and older ones still needed to unwrap until rotation finishes."""

    current: bytes
    previous: list[bytes] = field(default_factory=list)

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def by_id(self, wanted: str) -> bytes:
        for key in [self.current, *self.previous]:
            if key_id(key) == wanted:
                return key
        raise LookupError(f"master key {wanted} is not configured ({PREVIOUS_ENV}?)")


def load_master_keys(settings: Settings, environ: dict[str, str] | None = None) -> MasterKeys:
    """From ALAC_INTAKE_MASTER_KEY; in the embedded profile, generated once into the data folder
    (mode 0600). The production profile must be given one: a generated key on a server would be
    lost with the container, and with it every complainant's contact."""
    env = os.environ if environ is None else environ
    previous = [
        _decode_key(k, PREVIOUS_ENV) for k in env.get(PREVIOUS_ENV, "").split(",") if k.strip()
    ]
    if env.get(MASTER_ENV):
        return MasterKeys(_decode_key(env[MASTER_ENV], MASTER_ENV), previous)
    if settings.profile == "production":
        raise ValueError(f"the production profile needs {MASTER_ENV} (base64url, 32 bytes)")
    path = Path(settings.data_dir) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(b64(secrets.token_bytes(32)))
    return MasterKeys(_decode_key(path.read_text(), str(path)), previous)
