"""In-process test harness: the development issuer without a socket, and a deterministic
`pump` that drives outbox relays and consumers until nothing is left to deliver.

The services' own code paths run unchanged (real databases, the real log bus, real token
verification over the issuer's JWKS endpoint); only the threads are replaced by explicit
passes so a test knows when every event has been applied.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from alac_kernel.auth.dev_directory import DIRECTORY_FILE
from alac_kernel.auth.dev_issuer import KEY_FILE, DevIssuer, DevKey, create_dev_issuer_app
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.bus import OutgoingRecord
from alac_kernel.consumer import EventConsumer
from alac_kernel.events import Event
from alac_kernel.events.binding import record_headers
from alac_kernel.outbox import OutboxRelay
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import DEV_REALM

TEST_ISSUER = f"http://issuer.test/realms/{DEV_REALM}"

# One signing key per test process, put in each new issuer's empty key folder: generating a
# 2048-bit RSA key costs tens of milliseconds of CPU per test, and a test needs a key, not a
# new one (a test about another key makes its own with DevKey.generate).
_process_key: list[bytes] = []
# The demo directory (organizations, users with hashed passwords, roles) an issuer seeds into
# its empty key folder, per issuer URL (ids derive from it), kept once per test process: seeding
# hashes every demo user's password and saves the file once per change, about a third of a
# small service test's set-up. A new issuer given the file starts as a restarted one does.
_process_directory: dict[str, bytes] = {}


def _seed_key(key_dir: Path) -> None:
    path = Path(key_dir) / KEY_FILE
    if path.exists():
        return
    if not _process_key:
        _process_key.append(DevKey.generate().private_pem())
    _write_private(path, _process_key[0])


def _write_private(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(content)


class InProcessIssuer:
    def __init__(self, key_dir: Path, issuer: str = TEST_ISSUER) -> None:
        self.issuer = issuer
        _seed_key(key_dir)
        directory = Path(key_dir) / DIRECTORY_FILE
        seeds = not directory.exists() and issuer not in _process_directory
        if not directory.exists() and not seeds:
            _write_private(directory, _process_directory[issuer])
        self.app = create_dev_issuer_app(key_dir, issuer)
        if seeds:  # the first issuer of this process seeded it: keep the file as it starts
            _process_directory[issuer] = directory.read_bytes()
        self.client = TestClient(self.app, base_url="http://issuer.test")
        self.dev: DevIssuer = self.app.state.dev_issuer

    def token(self, username: str) -> str:
        return self.dev.token_for(username)

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(username)}", **extra}

    def verifier(self) -> TokenVerifier:
        return TokenVerifier(
            issuer=self.issuer,
            audience="alac-api",
            client_id="alac-api",
            jwks_url=f"{self.issuer}/protocol/openid-connect/certs",
            http=self.client,
        )


def publish_event(runtime: ServiceRuntime, event: Event) -> Event:
    """`event` on its aggregate's topic of `runtime`'s bus, as the producing service's outbox
    relay puts it there (for a service tested alone, fed what the others would publish)."""
    runtime.bus.publish(
        [
            OutgoingRecord(
                topic=runtime.settings.topic(event.type.split(".")[0]),
                key=event.subject,
                value=event.to_json(),
                headers=record_headers(event),
            )
        ]
    )
    return event


class Pump:
    """Drives every runtime's relay and consumers until a full round moves nothing."""

    def __init__(
        self,
        runtimes: Sequence[ServiceRuntime],
        *,
        quiet_rounds: int = 2,
        poll_timeout_s: float = 0.0,
    ) -> None:
        self.relays: list[OutboxRelay] = [rt.relay() for rt in runtimes]
        self.consumers: list[EventConsumer] = [
            rt.event_consumer(spec) for rt in runtimes for spec in rt.every_consumer()
        ]
        self.quiet_rounds = quiet_rounds
        for consumer in self.consumers:
            consumer.poll_timeout_s = poll_timeout_s

    def __call__(self, max_rounds: int = 100) -> int:
        moved_total = 0
        quiet = 0
        for _ in range(max_rounds):
            moved = sum(relay.run_once() for relay in self.relays)
            moved += sum(consumer.run_once() for consumer in self.consumers)
            moved_total += moved
            quiet = quiet + 1 if moved == 0 else 0
            if quiet >= self.quiet_rounds:
                return moved_total
        raise AssertionError(f"events still moving after {max_rounds} rounds")

    def close(self) -> None:
        for consumer in self.consumers:
            consumer.close()


def text_keys_through(apps: Mapping[str, Any], intake_client: Any) -> None:
    """Search and cases ask the in-process intake for complaint text keys (over its ASGI
    client, with their grants), as they ask intake's URL when they run as processes."""
    from alac_kernel import sealed_text

    for name in sealed_text.CONSUMERS:
        runtime = apps[name].state.runtime
        runtime.text_keys = sealed_text.HttpTextKeys(
            intake_client, consumer=name, grant=sealed_text.load_grant(runtime.settings, name)
        )
