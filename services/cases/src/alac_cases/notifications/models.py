"""Notifications' tables: what each staff member was told (the console's list), how they want
to be told (preferences), the tenant's rules of who is told what, complainants' messages
waiting for an answer, and the e-mails to send (the kernel's delivery outbox)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from alac_cases.case.models import Base
from alac_kernel.db import TenantScoped, UTCDateTime
from alac_kernel.delivery import add_delivery_table

# E-mails decided and not yet sent, sent, or given up (alac_kernel.delivery).
deliveries = add_delivery_table(Base.metadata, "notification_deliveries")


class Notification(TenantScoped, Base):
    """One thing one staff member is told. Carries the case reference and a link, never
    personal data or the complaint's text: `params` hold codes and dates for the title."""

    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per decision and person: an event applied twice (it cannot be,
        # the inbox sees to that) or a periodic pass run twice tells no one twice.
        UniqueConstraint("tenant_id", "recipient", "dedupe_key", name="uq_notifications_once"),
        Index("ix_notifications_recipient_created", "tenant_id", "recipient", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    recipient: Mapped[str] = mapped_column(String(128))  # the staff member's token subject
    kind: Mapped[str] = mapped_column(String(64))
    dedupe_key: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    case_reference: Mapped[str | None] = mapped_column(String(32), nullable=True)
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    link: Mapped[str] = mapped_column(String(300))
    event_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The daily digest delivery this notification goes out in (digest users only).
    digest_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)


class NotificationPreference(TenantScoped, Base):
    """How one staff member wants to be told; no row means the defaults (e-mail at once, no
    digest, no quiet hours)."""

    __tablename__ = "notification_preferences"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    subject: Mapped[str] = mapped_column(String(128), primary_key=True)
    email: Mapped[bool] = mapped_column(Boolean, default=True)
    digest: Mapped[str] = mapped_column(String(8), default="off")  # off | daily
    # Local times of the tenant's time zone, "HH:MM"; both null = no quiet hours.
    quiet_start: Mapped[str | None] = mapped_column(String(5), nullable=True)
    quiet_end: Mapped[str | None] = mapped_column(String(5), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class NotificationRule(TenantScoped, Base):
    """A tenant's change to the default rules (alac_cases.notifications.rules.DEFAULT_RULES):
    a (kind, audience) pair switched on or off, and for `message_waiting` the number of
    working days a complainant's message may wait."""

    __tablename__ = "notification_rules"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    audience: Mapped[str] = mapped_column(String(32), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)
    working_days: Mapped[int | None] = mapped_column(Integer, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class WaitingMessage(TenantScoped, Base):
    """A complainant's message not yet answered: the coordinator is told when it has waited
    more than the rule's working days (one notification per message)."""

    __tablename__ = "notification_waiting_messages"

    message_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    complaint_id: Mapped[str] = mapped_column(String(36), index=True)
    case_id: Mapped[str] = mapped_column(String(36))
    office: Mapped[str] = mapped_column(String(64))
    posted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
