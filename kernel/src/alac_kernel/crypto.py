"""Envelope encryption and secret keys shared by the services (AES-GCM from `cryptography`).

A master key (a secret setting) wraps small data keys kept in a service's own database; the
data keys encrypt the data. Rotating the master key only re-wraps the data keys; destroying a
data key makes everything under it unreadable at once (crypto-shredding). Intake's vault
(contacts, attachments) and cases (letters) both use these functions.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from alac_kernel.settings import Settings

NONCE_BYTES = 12


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.encode())


def key_id(key: bytes) -> str:
    """Names a master key without revealing it."""
    return hashlib.sha256(b"alac-master-key-id" + key).hexdigest()[:16]


def new_key() -> bytes:
    return secrets.token_bytes(32)


def encrypt(key: bytes, plaintext: bytes, aad: str) -> bytes:
    """nonce || ciphertext+tag. The AAD binds the ciphertext to what it belongs to (tenant,
    row, file), so a ciphertext copied elsewhere fails to decrypt."""
    nonce = secrets.token_bytes(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad.encode())


def decrypt(key: bytes, sealed: bytes, aad: str) -> bytes:
    """Raises cryptography's InvalidTag for a wrong key, AAD or a changed byte."""
    return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad.encode())


def seal(key: bytes, plaintext: bytes, aad: str) -> str:
    """`encrypt`, as base64 text for a database column."""
    return b64(encrypt(key, plaintext, aad))


def open_sealed(key: bytes, sealed: str, aad: str) -> bytes:
    return decrypt(key, unb64(sealed), aad)


def decode_key(text: str, what: str) -> bytes:
    try:
        key = unb64(text.strip())
    except ValueError as exc:
        raise ValueError(f"{what} is not base64url") from exc
    if len(key) != 32:
        raise ValueError(f"{what} must be 32 bytes (base64url of 256 bits)")
    return key


def load_secret_key(
    settings: Settings, env_name: str, file_name: str, environ: Mapping[str, str] | None = None
) -> bytes:
    """A 256-bit key from the setting `env_name`; in the embedded profile, generated once into
    `<data_dir>/<file_name>` (mode 0600). The production profile must be given one: a key
    generated on a server would be lost with the container, with all it protects."""
    env = os.environ if environ is None else environ
    if env.get(env_name):
        return decode_key(env[env_name], env_name)
    if settings.profile == "production":
        raise ValueError(f"the production profile needs {env_name} (base64url, 32 bytes)")
    path = Path(settings.data_dir) / file_name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name, then linked into place (fails if it exists):
        # a process starting at the same moment sees either no key file or the complete one,
        # and only the first key ever written is used.
        temporary = path.with_name(f".{file_name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(b64(new_key()))
            try:
                os.link(temporary, path)
            except FileExistsError:
                pass
        finally:
            temporary.unlink(missing_ok=True)
    return decode_key(path.read_text(), str(path))


@dataclass
class MasterKeys:
    """The current master key and older ones still needed to unwrap until rotation finishes."""

    current: bytes
    previous: list[bytes] = field(default_factory=list)
    previous_env: str = "the previous master keys setting"

    @property
    def current_id(self) -> str:
        return key_id(self.current)

    def by_id(self, wanted: str) -> bytes:
        for key in [self.current, *self.previous]:
            if key_id(key) == wanted:
                return key
        raise LookupError(f"master key {wanted} is not configured ({self.previous_env}?)")


def load_master_keys(
    settings: Settings,
    *,
    env_name: str,
    previous_env: str,
    file_name: str,
    environ: Mapping[str, str] | None = None,
) -> MasterKeys:
    """The current master key (`load_secret_key`) and the comma-separated older ones."""
    env = os.environ if environ is None else environ
    previous = [
        decode_key(k, previous_env) for k in env.get(previous_env, "").split(",") if k.strip()
    ]
    current = load_secret_key(settings, env_name, file_name, env)
    return MasterKeys(current, previous, previous_env)
