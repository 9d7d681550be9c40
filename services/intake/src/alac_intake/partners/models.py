"""Partner systems, the events they may see, and webhook subscriptions with their deliveries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from alac_intake.database import Base
from alac_kernel.db import TenantScoped, UTCDateTime

# SQLite autoincrements only an INTEGER primary key.
BigIntPK = BigInteger().with_variant(Integer(), "sqlite")


class Partner(TenantScoped, Base):
    """A partner system of a tenant: one OAuth client (client credentials) at the identity
    provider. `last_position` numbers the partner's events (its feed) under a row lock."""

    __tablename__ = "partners"
    __table_args__ = (UniqueConstraint("client_id", name="uq_partners_client_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    client_id: Mapped[str] = mapped_column(String(128))
    name: Mapped[str] = mapped_column(String(200))
    # registered: through the API; seen: a client of the identity provider that submitted
    # before it was registered here (the demo partner), recorded on first use.
    origin: Mapped[str] = mapped_column(String(16), default="registered")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str | None] = mapped_column(String(128), nullable=True)
    secret_rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    last_position: Mapped[int] = mapped_column(Integer, default=0)


class PartnerComplaint(TenantScoped, Base):
    """Which partner submitted which complaint: the only complaints it may read."""

    __tablename__ = "partner_complaints"

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id"), index=True)
    public_status: Mapped[str] = mapped_column(String(32), default="received")


class PartnerEvent(TenantScoped, Base):
    """The partner-visible events (contracts/events/partner.*), one ordered log per partner:
    the feed reads it, webhook deliveries point into it. Written in the transaction of the
    change it reports."""

    __tablename__ = "partner_events"
    __table_args__ = (
        UniqueConstraint("partner_id", "position", name="uq_partner_events_position"),
    )

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id"))
    position: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookSubscription(TenantScoped, Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    partner_id: Mapped[str] = mapped_column(String(36), ForeignKey("partners.id"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # The signing secret, sealed under the vault's master key (key id beside it).
    secret_sealed: Mapped[str] = mapped_column(Text)
    secret_key_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | disabled
    disabled_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookDelivery(TenantScoped, Base):
    """One event to one subscription: the webhook outbox. Attempts are logged below."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "state", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("webhook_subscriptions.id"), index=True
    )
    event_id: Mapped[str] = mapped_column(String(36))
    event_position: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), default="pending")  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    replay: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WebhookAttempt(TenantScoped, Base):
    """The delivery log of a subscription: every attempt, its answer or error."""

    __tablename__ = "webhook_attempts"

    seq: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str] = mapped_column(String(36), index=True)
    delivery_id: Mapped[str] = mapped_column(String(36))
    event_id: Mapped[str] = mapped_column(String(36))
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    outcome: Mapped[str] = mapped_column(String(16))  # delivered | retry | failed
