"""Complaint free text sealed in events, opened by consumers that hold a grant.

A complaint's free text (the crux, the help requested, ...) can hold anything: a phone
number, an e-mail, a name. It must reach search, but a copy on the bus outlives any erasure:
Kafka topics are retained, replicated and backed up, and a record cannot be edited out. So
the text travels encrypted (AES-GCM) under a data key of its own complaint, and that key
never leaves intake's database except to a consumer that asks for it with its grant.
Erasing the complaint's personal data deletes the key: every copy of the text, on the bus,
in a backup of the bus, in a rebuild from offset zero, becomes unreadable at once
(crypto-shredding). See docs/privacy.md ("Free text in events").

Why a key service and not a key wrapped for each consumer in the event: a wrapped key on the
bus is as durable as the ciphertext beside it, so whoever holds the unwrapping key could read
an erased complaint forever. Only a key kept in one deletable place can be shredded.

The event shape stays compatible with v1 readers: the required `crux` holds `SEALED`
(a short marker, not the text), and the sealed fields travel in the optional `sealed` object:

    "sealed": {"alg": "A256GCM", "key": "<complaint id>",
               "fields": {"crux": "<base64url nonce+ciphertext>", ...}}

The additional data of each field binds it to its tenant, complaint and field name, so a
ciphertext moved to another complaint or field does not open.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag

from alac_kernel import crypto
from alac_kernel.consumer import RetryLater
from alac_kernel.events import Event
from alac_kernel.settings import Settings

ALGORITHM = "A256GCM"
# What a reader of the v1 schema finds in the required `crux` of a sealed event.
SEALED = "(sealed)"
# The free-text fields of complaint.* events (complaint.received, complaint.updated's
# `changed`, complaint.withdrawn): never on the bus in clear.
TEXT_FIELDS = ("crux", "help_requested", "prior_legal_help_quality", "reason")
# Consumers that may ask intake for a complaint's text key, each with a grant (a secret
# setting of its own, so one consumer's grant can be revoked alone).
GRANT_ENVS = {"search": "ALAC_TEXT_GRANT_SEARCH", "cases": "ALAC_TEXT_GRANT_CASES"}
CONSUMERS = tuple(GRANT_ENVS)
GRANT_HEADER = "Authorization"
CONSUMER_HEADER = "X-Alac-Consumer"
KEYS_PATH = "/internal/v1/text-keys"


def _aad(tenant: str, complaint_id: str, field: str) -> str:
    return f"alac-complaint-text:{tenant}:{complaint_id}:{field}"


def seal_fields(
    key: bytes, *, tenant: str, complaint_id: str, fields: Mapping[str, str]
) -> dict[str, Any]:
    """The `sealed` object of an event carrying `fields` (name -> clear text)."""
    return {
        "alg": ALGORITHM,
        "key": complaint_id,
        "fields": {
            name: crypto.seal(key, text.encode(), _aad(tenant, complaint_id, name))
            for name, text in fields.items()
        },
    }


def open_fields(
    key: bytes, sealed: Mapping[str, Any], *, tenant: str, complaint_id: str
) -> dict[str, str]:
    """The clear texts of a `sealed` object. Raises InvalidTag for a wrong key or a moved
    or changed ciphertext."""
    return {
        name: crypto.open_sealed(key, text, _aad(tenant, complaint_id, name)).decode()
        for name, text in sealed["fields"].items()
    }


def split_texts(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(`data` with its free texts taken out, the texts taken out). A required `crux` is left
    as `SEALED` so the data still validates against the v1 schema."""
    clear = dict(data)
    texts: dict[str, str] = {}
    for name in TEXT_FIELDS:
        value = clear.get(name)
        if isinstance(value, str) and value:
            texts[name] = value
            if name == "crux":
                clear[name] = SEALED
            else:
                del clear[name]
    return clear, texts


class TextKeyUnavailable(RetryLater):
    """The key service did not answer (intake down, network): not the event's fault, so a
    consumer must take the event again later rather than park it."""


class TextKeys(Protocol):
    def key_for(self, tenant: str, complaint_id: str) -> bytes | None:
        """The complaint's text key; None once it was destroyed (personal data erased)."""


class HttpTextKeys:
    """Intake's key service, asked with this consumer's grant (see intake's
    alac_intake/vault/text_keys.py). `http` is an httpx.Client whose base URL is intake's.

    Inside `held_for(events)` the keys of those events' sealed texts are fetched in one
    request per tenant and held, for the calling thread only, until the block ends: a
    consumer's batch costs intake one request instead of one per event. Nothing is kept
    after it, so an erasure (the key deleted) is seen by the next batch."""

    BATCH = 100  # complaint ids per request (the service's MAX_BATCH)

    def __init__(self, http: Any, *, consumer: str, grant: bytes) -> None:
        self.http, self.consumer, self.grant = http, consumer, grant
        self._held = threading.local()

    def _headers(self) -> dict[str, str]:
        return {GRANT_HEADER: f"Bearer {crypto.b64(self.grant)}", CONSUMER_HEADER: self.consumer}

    def key_for(self, tenant: str, complaint_id: str) -> bytes | None:
        import httpx

        held: dict[tuple[str, str], bytes | None] | None = getattr(self._held, "keys", None)
        if held is not None and (tenant, complaint_id) in held:
            return held[(tenant, complaint_id)]
        try:
            response = self.http.get(
                f"{KEYS_PATH}/{tenant}/{complaint_id}", headers=self._headers()
            )
        except httpx.HTTPError as exc:
            raise TextKeyUnavailable(f"intake's key service did not answer: {exc}") from exc
        if response.status_code in (404, 410):
            return None  # erased (or never sealed with a key): the text is gone
        if response.status_code != 200:
            raise TextKeyUnavailable(
                f"intake's key service answered {response.status_code}: {response.text[:200]}"
            )
        return crypto.unb64(response.json()["key"])

    def keys_for(self, tenant: str, complaint_ids: Sequence[str]) -> dict[str, bytes | None]:
        """The keys of many complaints of one tenant (None: destroyed, or never made); {}
        from an intake that has no batch route yet (each key is then asked alone)."""
        import httpx

        found: dict[str, bytes | None] = {}
        for i in range(0, len(complaint_ids), self.BATCH):
            chunk = list(complaint_ids[i : i + self.BATCH])
            try:
                response = self.http.post(
                    f"{KEYS_PATH}/{tenant}", json={"complaint_ids": chunk}, headers=self._headers()
                )
            except httpx.HTTPError as exc:
                raise TextKeyUnavailable(f"intake's key service did not answer: {exc}") from exc
            if response.status_code in (404, 405):
                return {}
            if response.status_code != 200:
                raise TextKeyUnavailable(
                    f"intake's key service answered {response.status_code}: {response.text[:200]}"
                )
            keys = response.json()["keys"]
            found.update({cid: crypto.unb64(keys[cid]) if cid in keys else None for cid in chunk})
        return found

    @contextmanager
    def held_for(self, events: Sequence[Event]) -> Iterator[None]:
        wanted: dict[str, list[str]] = {}
        for event in events:
            if isinstance(event.data.get("sealed"), dict):
                wanted.setdefault(event.tenantid, []).append(event.data["complaint_id"])
        held: dict[tuple[str, str], bytes | None] = {}
        for tenant, ids in wanted.items():
            unique = list(dict.fromkeys(ids))
            held.update(((tenant, cid), key) for cid, key in self.keys_for(tenant, unique).items())
        self._held.keys = held
        try:
            yield
        finally:
            self._held.keys = None


def fetched_for(keys: TextKeys, events: Sequence[Event]) -> AbstractContextManager[object]:
    """A consumer's `prepare` (alac_kernel.consumer): the keys of `events`' sealed texts
    fetched at once and held while the batch is applied; other TextKeys (tests' stand-ins,
    `Erased`) are asked one event at a time as before."""
    if isinstance(keys, HttpTextKeys):
        return keys.held_for(events)
    return nullcontext()


def load_grant(
    settings: Settings, consumer: str, environ: Mapping[str, str] | None = None
) -> bytes:
    """The consumer's grant: ALAC_TEXT_GRANT_<CONSUMER> (base64url, 32 bytes); in the embedded
    profile generated once into the shared data folder, where intake reads the same file."""
    return crypto.load_secret_key(
        settings, GRANT_ENVS[consumer], f"text-grant-{consumer}.key", environ
    )


def http_text_keys(settings: Settings, consumer: str) -> HttpTextKeys:
    """The key service at ALAC_INTAKE_URL, asked with this consumer's grant."""
    import httpx

    return HttpTextKeys(
        httpx.Client(base_url=settings.intake_url, timeout=10.0),
        consumer=consumer,
        grant=load_grant(settings, consumer),
    )


def grant_matches(presented: str | None, grant: bytes) -> bool:
    if not presented or not presented.startswith("Bearer "):
        return False
    return hmac.compare_digest(presented.removeprefix("Bearer ").strip(), crypto.b64(grant))


def open_event(event: Event, keys: TextKeys) -> Event:
    """`event` with its sealed texts put back in clear for this consumer's projection; when
    the key is gone (erased), the texts are None: the text no longer exists anywhere.
    Events without `sealed` (written before sealing) pass unchanged."""
    sealed = event.data.get("sealed")
    if not isinstance(sealed, dict):
        return event
    complaint_id = event.data["complaint_id"]
    key = keys.key_for(event.tenantid, complaint_id)
    names = list(sealed.get("fields", {}))
    texts: dict[str, str | None]
    if key is None:
        texts = dict.fromkeys(names)
    else:
        try:
            texts = dict(open_fields(key, sealed, tenant=event.tenantid, complaint_id=complaint_id))
        except InvalidTag:
            texts = dict.fromkeys(names)  # a ciphertext that is not this complaint's
    data = {k: v for k, v in event.data.items() if k != "sealed"}
    if isinstance(data.get("changed"), dict):  # complaint.updated: the texts that changed
        data["changed"] = {**data["changed"], **texts}
    else:
        data.update(texts)
    return event.model_copy(update={"data": data})


@dataclass
class Erased:
    """A TextKeys for tests and tools that must behave as if every key were destroyed."""

    def key_for(self, tenant: str, complaint_id: str) -> bytes | None:
        return None
