"""Partner clients registered at run time on the development issuer (embedded mode).

The embedded stand-in for what Keycloak's admin API does for partner systems: a confidential
client with the client-credentials grant, scoped to one tenant, holding the `partner` role.
Secrets are random (256 bits) and kept only as SHA-256 digests in `partner-clients.json`
beside the issuer's key; the plaintext is returned once. Rotation keeps the previous secret
valid for a grace period, so a partner can switch without a failed token request.

The file is re-read when it changes, so a second process (the issuer started by `alac up`)
sees a client registered through the admin interface at once.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

CLIENTS_FILE = "partner-clients.json"


def _digest(secret: str) -> str:
    # Secrets are 256 random bits: a plain digest is enough (nothing to brute-force).
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RegisteredClient:
    client_id: str
    tenant: str
    secret_digest: str
    previous_digest: str | None = None
    previous_until: float | None = None

    def accepts(self, secret: str, now: float) -> bool:
        given = _digest(secret)
        ok = hmac.compare_digest(given, self.secret_digest)
        if self.previous_digest and self.previous_until and now < self.previous_until:
            ok = hmac.compare_digest(given, self.previous_digest) or ok
        return ok


class ClientRegistry:
    def __init__(self, folder: Path) -> None:
        self.path = Path(folder) / CLIENTS_FILE
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._clients: dict[str, RegisteredClient] = {}

    def _load(self) -> dict[str, RegisteredClient]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._clients, self._stamp = {}, None
            return self._clients
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            raw = json.loads(self.path.read_text())
            self._clients = {c["client_id"]: RegisteredClient(**c) for c in raw}
            self._stamp = stamp
        return self._clients

    def _save(self, clients: dict[str, RegisteredClient]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{CLIENTS_FILE}.{os.getpid()}.{uuid.uuid4().hex}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump([_as_dict(c) for c in clients.values()], fh)
        os.replace(tmp, self.path)
        self._stamp = None

    def get(self, client_id: str) -> RegisteredClient | None:
        with self._lock:
            return self._load().get(client_id)

    def create(self, client_id: str, tenant: str) -> str:
        """A new client; its secret (returned once). Raises KeyError if the id is taken."""
        secret = secrets.token_urlsafe(32)
        with self._lock:
            clients = dict(self._load())
            if client_id in clients:
                raise KeyError(client_id)
            clients[client_id] = RegisteredClient(client_id, tenant, _digest(secret))
            self._save(clients)
        return secret

    def rotate(self, client_id: str, grace_s: float) -> str:
        """A new secret; the current one stays valid for `grace_s` seconds."""
        secret = secrets.token_urlsafe(32)
        with self._lock:
            clients = dict(self._load())
            old = clients[client_id]
            clients[client_id] = RegisteredClient(
                client_id, old.tenant, _digest(secret), old.secret_digest, time.time() + grace_s
            )
            self._save(clients)
        return secret

    def delete(self, client_id: str) -> bool:
        with self._lock:
            clients = dict(self._load())
            found = clients.pop(client_id, None)
            if found is not None:
                self._save(clients)
        return found is not None


def _as_dict(client: RegisteredClient) -> dict[str, object]:
    return {name: getattr(client, name) for name in RegisteredClient.__slots__}
