"""Analytics' read model, built from events only.

`complaint_facts`: one row per complaint and its case, with every dimension a report asks
about. `daily_counts`: the same facts pre-aggregated per tenant, office, day received,
dimension and value, so reports and dashboards never scan the facts.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from alac_kernel.db import TenantScoped, UTCDateTime
from alac_kernel.staff_names import add_staff_names_table
from alac_kernel.tables import add_kernel_tables


class Base(DeclarativeBase):
    pass


kernel_tables = add_kernel_tables(Base.metadata)
# Staff names from cases' staff.* events: who handled an alert, who wrote a proposal.
staff_names = add_staff_names_table(Base.metadata)


class ComplaintFact(TenantScoped, Base):
    __tablename__ = "complaint_facts"
    # Dashboard questions across two or more dimensions GROUP BY over the facts of one tenant
    # received in a period (daily_counts holds one dimension per row): this index bounds that
    # scan to the period, and carries the office so an office filter needs no table read.
    __table_args__ = (Index("ix_complaint_facts_period", "tenant_id", "received_at", "office"),)

    complaint_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    office: Mapped[str | None] = mapped_column(String(64), index=True, nullable=True)
    channel: Mapped[str | None] = mapped_column(String(32), nullable=True)
    area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    request_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    anonymous: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True, index=True)
    status: Mapped[str] = mapped_column(String(32), default="received")
    case_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    # Per-aggregate versions: an event older than what was applied is ignored.
    complaint_version: Mapped[int] = mapped_column(Integer, default=0)
    case_version: Mapped[int] = mapped_column(Integer, default=0)

    sub_area: Mapped[str | None] = mapped_column(String(64), nullable=True)
    authority_level: Mapped[str | None] = mapped_column(String(64), nullable=True)
    respondent_body_type: Mapped[str | None] = mapped_column(String(64), nullable=True)
    corruption_related: Mapped[str | None] = mapped_column(String(32), nullable=True)
    complainant_type: Mapped[str | None] = mapped_column(String(32), nullable=True)
    sex: Mapped[str | None] = mapped_column(String(32), nullable=True)
    age_band: Mapped[str | None] = mapped_column(String(64), nullable=True)
    education: Mapped[str | None] = mapped_column(String(32), nullable=True)
    residence: Mapped[str | None] = mapped_column(String(32), nullable=True)
    region: Mapped[str | None] = mapped_column(String(64), nullable=True)
    heard_from: Mapped[str | None] = mapped_column(String(64), nullable=True)
    non_corruption_reason: Mapped[str | None] = mapped_column(String(64), nullable=True)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(32), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(64), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadlines_missed: Mapped[int] = mapped_column(Integer, default=0)
    # From complaint.received `historical: true` (imported, handled before the platform): counted
    # in its period like any complaint, but never in service-time figures.
    historical: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false(), nullable=False
    )
    # When intake registered the complaint (complaint.received's envelope time). A complaint
    # registered long after its received date (typed in from paper) is back-dated: counted in
    # its period, but its service times would measure the typing-in, not the service.
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class DailyCount(Base):
    """How many complaints received on `day` at `office` have `value` in `dimension`.

    Maintained by the projection from each fact's before/after image, so it always equals a
    GROUP BY over complaint_facts (tested) without ever running one at read time.
    """

    __tablename__ = "daily_counts"
    # Time series pick one (dimension, value) over many days: without this index they would
    # read every dimension of every day in the period.
    # Breakdowns pick one dimension over a range of days, every value: this index seeks the
    # range and carries what they sum (covering: no table read per row).
    __table_args__ = (
        Index("ix_daily_counts_series", "tenant_id", "dimension", "value", "day"),
        Index("ix_daily_counts_breakdown", "tenant_id", "dimension", "day", "office", "value", "n"),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    office: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class TenantName(TenantScoped, Base):
    """A centre's display names, as the tenant registry's events (tenant.onboarded,
    tenant.updated) carry them: the report's cover and the network report's sections."""

    __tablename__ = "tenant_names"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    kk: Mapped[str] = mapped_column(String(200))
    ru: Mapped[str] = mapped_column(String(200))
    en: Mapped[str] = mapped_column(String(200))


class PrivacySetting(TenantScoped, Base):
    """A tenant's small-cell threshold (counts below it are hidden; default 5)."""

    __tablename__ = "privacy_settings"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    small_cell_threshold: Mapped[int] = mapped_column(Integer, default=5)
    # Counts the changes: the aggregate version of tenant.privacy_settings_changed.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Alert(TenantScoped, Base):
    """An unusual concentration of complaints found by the pattern detector."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint(
            "tenant_id", "dimension", "value", "window_start", "window_end", name="uq_alert_window"
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(64))
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)  # exclusive
    count: Mapped[int] = mapped_column(Integer)
    baseline: Mapped[float] = mapped_column(Float)
    p_value: Mapped[float] = mapped_column(Float)
    method: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="open")  # open|acknowledged|dismissed
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handled_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str | None] = mapped_column(String(2000), nullable=True)


class Proposal(TenantScoped, Base):
    """An ALAC proposal to the authorities and what came of it (seeds/000 §4.2)."""

    __tablename__ = "proposals"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    section: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    result: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)
    document: Mapped[str | None] = mapped_column(String(1000), nullable=True)
    proposed_on: Mapped[date] = mapped_column(Date)
    result_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # What motivated it: area codes, alert ids and complaint ids (all of the same tenant).
    areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    alert_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    complaint_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)


class MonthlyCount(Base):
    """daily_counts rolled up per calendar month (`month` = its first day), kept by the same
    projection, so a report over whole months reads ~30 times fewer rows."""

    __tablename__ = "monthly_counts"
    # The dashboard's breakdowns and monthly series: one dimension over a range of months
    # (covering, as ix_daily_counts_breakdown).
    __table_args__ = (
        Index(
            "ix_monthly_counts_breakdown", "tenant_id", "dimension", "month", "office", "value", "n"
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    office: Mapped[str] = mapped_column(String(64), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class PairCount(Base):
    """How many complaints received at `office` in `month` have both `value` in `dimension`
    and `by_value` in `by_dimension` (the two dimensions in name order). Kept by the same
    projection from each fact's before/after image: a dashboard breakdown under a filter on
    another dimension (a clicked bar) reads whole months here instead of the facts."""

    __tablename__ = "pair_counts"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    by_dimension: Mapped[str] = mapped_column(String(32), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    office: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    by_value: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
