"""Webhook delivery: Standard Webhooks signatures, URL rules, retries with exponential backoff,
the delivery log, and disabling a subscription after repeated failure.

Signing follows https://www.standardwebhooks.com (the `standardwebhooks` package): headers
`webhook-id` (the event id, the same on every retry and replay, so a receiver can drop
duplicates), `webhook-timestamp` (seconds) and `webhook-signature` = `v1,<base64 HMAC-SHA256
of "id.timestamp.body">` under the subscription's `whsec_` secret.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import os
import secrets
import socket
import ssl
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast
from urllib.parse import urlsplit

import httpx
from prometheus_client import Counter
from sqlalchemy import CursorResult, case, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from standardwebhooks.webhooks import Webhook

from alac_intake.partners import events as partner_events
from alac_intake.partners.models import (
    PartnerEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from alac_kernel.crypto import MasterKeys, open_sealed, seal
from alac_kernel.db import session_scope, utcnow
from alac_kernel.events import ContractRegistry

log = logging.getLogger("alac.intake.webhooks")

WEBHOOK_ATTEMPTS = Counter(
    "alac_webhook_attempts_total",
    "Webhook delivery attempts to partner systems, by outcome (delivered, retry, failed)",
    ["outcome"],
)
WEBHOOKS_DISABLED = Counter(
    "alac_webhook_subscriptions_disabled_total",
    "Webhook subscriptions disabled after repeated failure",
)


@dataclass
class WebhookPolicy:
    """How deliveries are made; from ALAC_WEBHOOK_* settings (docs/partners.md)."""

    timeout_s: float = 10.0
    max_attempts: int = 8  # per delivery, then it is marked failed (replay sends it again)
    backoff_s: float = 5.0  # first retry after this, doubling each time
    max_backoff_s: float = 3600.0
    disable_after: int = 20  # failed attempts in a row (any delivery) disable the subscription
    allow_loopback: bool = False  # tests only: a receiver on 127.0.0.1 / ::1
    ca_file: str | None = None  # an extra CA to trust (tests: the receiver's own CA)
    batch: int = 50
    # How a host name is resolved (tests put a fake resolver here).
    resolve: Callable[..., Sequence[Any]] = field(default=socket.getaddrinfo)

    @classmethod
    def from_env(cls, production: bool) -> WebhookPolicy:
        env = os.environ
        allow_loopback = env.get("ALAC_WEBHOOK_ALLOW_LOOPBACK", "0") == "1"
        if allow_loopback and production:
            raise ValueError("ALAC_WEBHOOK_ALLOW_LOOPBACK=1 is refused in the production profile")
        return cls(
            timeout_s=float(env.get("ALAC_WEBHOOK_TIMEOUT_S", "10")),
            max_attempts=int(env.get("ALAC_WEBHOOK_MAX_ATTEMPTS", "8")),
            backoff_s=float(env.get("ALAC_WEBHOOK_BACKOFF_S", "5")),
            max_backoff_s=float(env.get("ALAC_WEBHOOK_MAX_BACKOFF_S", "3600")),
            disable_after=int(env.get("ALAC_WEBHOOK_DISABLE_AFTER", "20")),
            allow_loopback=allow_loopback,
            ca_file=env.get("ALAC_WEBHOOK_CA_FILE") or None,
        )

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_s * 2 ** max(attempts - 1, 0), self.max_backoff_s)


# ------------------------------------------------------------------ secrets and signatures


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def seal_secret(keys: MasterKeys, subscription_id: str, secret: str) -> tuple[str, str]:
    return seal(keys.current, secret.encode(), aad=f"webhook:{subscription_id}"), keys.current_id


def open_secret(keys: MasterKeys, sub: WebhookSubscription) -> str:
    key = keys.by_id(sub.secret_key_id)
    return open_sealed(key, sub.secret_sealed, aad=f"webhook:{sub.id}").decode()


def signed_headers(secret: str, msg_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id, at, body),
        "content-type": "application/json",
    }


# ------------------------------------------------------------------ URL rules


class UrlRefused(ValueError):
    pass


def check_url(url: str, policy: WebhookPolicy) -> None:
    """HTTPS only, no credentials in it, and every address its host resolves to must be a
    public one (no loopback, private, link-local, multicast or reserved address): a webhook
    must not become a way to reach the platform's own network. Checked when subscribing and
    again before every attempt (the name may resolve elsewhere later)."""
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise UrlRefused("must be an https:// URL")
    if not parts.hostname:
        raise UrlRefused("has no host")
    if parts.username or parts.password:
        raise UrlRefused("must not carry credentials")
    try:
        port = parts.port or 443
    except ValueError:
        raise UrlRefused("has an invalid port") from None
    try:
        infos = policy.resolve(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UrlRefused(f"host {parts.hostname} does not resolve") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_loopback and policy.allow_loopback:
            continue
        if not address.is_global or address.is_multicast:
            raise UrlRefused(f"resolves to a non-public address ({address})")


# ------------------------------------------------------------------ delivery


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str | None = None


def _client(policy: WebhookPolicy) -> httpx.Client:
    context = ssl.create_default_context()
    if policy.ca_file:
        context.load_verify_locations(policy.ca_file)
    return httpx.Client(verify=context, timeout=policy.timeout_s, follow_redirects=False)


def post(
    client: httpx.Client, sub_url: str, headers: dict[str, str], body: str, policy: WebhookPolicy
) -> Outcome:
    try:
        check_url(sub_url, policy)
    except UrlRefused as exc:
        return Outcome(False, error=f"url refused: {exc}")
    try:
        response = client.post(sub_url, content=body.encode(), headers=headers)
    except httpx.TimeoutException:
        return Outcome(False, error="timeout")
    except httpx.HTTPError as exc:
        return Outcome(False, error=f"{type(exc).__name__}")
    # Any 2xx is delivered; redirects are not followed (a moved receiver updates its URL).
    if 200 <= response.status_code < 300:
        return Outcome(True, response.status_code)
    return Outcome(False, response.status_code, f"HTTP {response.status_code}")


class DueWebhooks:
    """What the worker's webhook task waits on (alac_kernel.runtime.Wakes): the doorbell rung
    when deliveries are queued or a subscription is enabled again (events.ring_webhooks), and
    the time until the next pending delivery of an active subscription falls due."""

    def __init__(self, read_session_factory: sessionmaker[Session]) -> None:
        self.session_factory = read_session_factory
        self.doorbell = partner_events.webhook_doorbell(read_session_factory.kw["bind"])

    def next_due_in_s(self, now: datetime | None = None) -> float | None:
        now = now or utcnow()
        # A delivery claimed by a worker is looked at again when the claim runs out (the
        # worker may have died); one of a disabled subscription waits for the ring.
        claimed = WebhookDelivery.claimed_until
        due_at = case((claimed >= now, claimed), else_=WebhookDelivery.next_attempt_at)
        with session_scope(self.session_factory, all_tenants=True) as session:
            earliest = session.execute(
                select(func.min(due_at))
                .join(
                    WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id
                )
                .where(WebhookDelivery.state == "pending", WebhookSubscription.status == "active")
            ).scalar_one()
        return None if earliest is None else max(0.0, (earliest - now).total_seconds())


def deliver_due(
    session_factory: sessionmaker[Session],
    keys: MasterKeys,
    contracts: ContractRegistry,
    policy: WebhookPolicy,
    *,
    now: datetime | None = None,
    client: httpx.Client | None = None,
) -> int:
    """One pass: every due delivery of an active subscription is attempted once. Returns how
    many attempts were made. Safe with several workers: a delivery is claimed first."""
    now = now or utcnow()
    with session_scope(session_factory, all_tenants=True) as session:
        due = (
            session.execute(
                select(WebhookDelivery.id)
                .join(
                    WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id
                )
                .where(
                    WebhookDelivery.state == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookSubscription.status == "active",
                    or_(
                        WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now
                    ),
                )
                .order_by(WebhookDelivery.subscription_id, WebhookDelivery.event_position)
                .limit(policy.batch)
            )
            .scalars()
            .all()
        )
    if not due:
        return 0
    own = client is None
    client = client or _client(policy)
    made = 0
    try:
        for delivery_id in due:
            made += _attempt(session_factory, keys, contracts, policy, client, delivery_id)
    finally:
        if own:
            client.close()
    return made


def _attempt(
    session_factory: sessionmaker[Session],
    keys: MasterKeys,
    contracts: ContractRegistry,
    policy: WebhookPolicy,
    client: httpx.Client,
    delivery_id: str,
) -> int:
    now = utcnow()
    lease = now + timedelta(seconds=policy.timeout_s * 3 + 5)
    with session_scope(session_factory, all_tenants=True) as session:
        claim = (
            update(WebhookDelivery)
            .where(
                WebhookDelivery.id == delivery_id,
                WebhookDelivery.state == "pending",
                or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until < now),
            )
            .values(claimed_until=lease)
        )
        if not cast(CursorResult[Any], session.execute(claim)).rowcount:
            return 0
        # Both rows exist: the delivery was just claimed, and its subscription outlives it.
        delivery = session.get_one(WebhookDelivery, delivery_id)
        sub = session.get_one(WebhookSubscription, delivery.subscription_id)
        event = session.execute(
            select(PartnerEvent).where(PartnerEvent.id == delivery.event_id)
        ).scalar_one()
        url, body, event_id = sub.url, event.payload, event.id
        secret = open_secret(keys, sub)
    # The HTTP call happens outside any transaction: a slow receiver holds no lock.
    outcome = post(
        client, url, signed_headers(secret, event_id, body, datetime.now(UTC)), body, policy
    )
    with session_scope(session_factory, all_tenants=True) as session:
        delivery = session.get_one(WebhookDelivery, delivery_id)
        sub = session.get_one(WebhookSubscription, delivery.subscription_id)
        delivery.attempts += 1
        delivery.claimed_until = None
        if outcome.ok:
            delivery.state = "delivered"
            sub.consecutive_failures = 0
            result = "delivered"
        else:
            sub.consecutive_failures += 1
            if delivery.attempts >= policy.max_attempts:
                delivery.state = "failed"
                result = "failed"
            else:
                delivery.next_attempt_at = utcnow() + timedelta(
                    seconds=policy.backoff(delivery.attempts)
                )
                result = "retry"
        session.add(
            WebhookAttempt(
                tenant_id=delivery.tenant_id,
                subscription_id=sub.id,
                delivery_id=delivery.id,
                event_id=delivery.event_id,
                attempt=delivery.attempts,
                at=utcnow(),
                status_code=outcome.status_code,
                error=(outcome.error or "")[:500] or None,
                outcome=result,
            )
        )
        WEBHOOK_ATTEMPTS.labels(result).inc()
        if (
            not outcome.ok
            and sub.status == "active"
            and sub.consecutive_failures >= policy.disable_after
        ):
            _disable(session, contracts, sub, outcome.error)
    return 1


def _disable(
    session: Session, contracts: ContractRegistry, sub: WebhookSubscription, error: str | None
) -> None:
    sub.status = "disabled"
    WEBHOOKS_DISABLED.inc()
    sub.disabled_reason = f"{sub.consecutive_failures} failed attempts in a row (last: {error})"
    log.warning("webhook subscription %s disabled: %s", sub.id, sub.disabled_reason)
    session.flush()
    # Announced in the partner's feed (and to its other subscriptions for this type).
    partner_events.append(
        session,
        contracts,
        partner_id=sub.partner_id,
        tenant=sub.tenant_id,
        type="partner.webhook_disabled",
        data={
            "subscription_id": sub.id,
            "consecutive_failures": sub.consecutive_failures,
            "last_error": (error or "")[:200] or None,
            "disabled_at": utcnow().isoformat(),
        },
    )
