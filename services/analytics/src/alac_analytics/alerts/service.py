"""Detecting patterns, and the alerts' life: open -> acknowledged | dismissed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from alac_analytics.alerts.events import pattern_detected
from alac_analytics.alerts.poisson import METHOD, poisson_upper_tail
from alac_analytics.alerts.schemas import AlertComplaints, AlertRead, ComplaintRef
from alac_analytics.dashboard.service import facts_where
from alac_analytics.models import Alert, ComplaintFact, DailyCount, staff_names
from alac_analytics.projections.dimensions import UNSPECIFIED
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, one_found, session_scope, utcnow
from alac_kernel.errors import Conflict, Forbidden
from alac_kernel.outbox import Outbox
from alac_kernel.staff_names import answers_naming
from alac_kernel.visibility import visibility

DIMENSIONS = ("respondent_body_type", "area", "region")
#: The mean used for a value never seen before: without a floor any first complaint about a
#: new value would have p = 0.
MEAN_FLOOR = 0.5


@dataclass(frozen=True)
class Rule:
    window_days: int = 30
    baseline_windows: int = 6
    alpha: float = 0.001
    min_count: int = 5


def window_counts(
    session: Session, *, tenant: str, dimension: str, start: date, end: date
) -> dict[str, int]:
    t = DailyCount.__table__
    rows = session.execute(
        select(t.c.value, func.sum(t.c.n))
        .where(
            t.c.tenant_id == tenant,
            t.c.dimension == dimension,
            t.c.day >= start,
            t.c.day < end,
        )
        .group_by(t.c.value)
    ).all()
    return {v: int(n) for v, n in rows if n and v != UNSPECIFIED}


def detect(
    *, session: Session, outbox: Outbox, tenant: str, window_end: date, rule: Rule = Rule()
) -> list[Alert]:
    """Test every value of every dimension in [window_end - window, window_end); record an
    alert (and its event, in the same transaction) for each significant concentration not
    already alerted for this window."""
    window_start = window_end - timedelta(days=rule.window_days)
    history_start = window_start - timedelta(days=rule.window_days * rule.baseline_windows)
    found: list[Alert] = []
    for dimension in DIMENSIONS:
        current = window_counts(
            session, tenant=tenant, dimension=dimension, start=window_start, end=window_end
        )
        history = defaultdict(
            int,
            window_counts(
                session, tenant=tenant, dimension=dimension, start=history_start, end=window_start
            ),
        )
        for value, count in sorted(current.items()):
            baseline = history[value] / rule.baseline_windows
            p_value = poisson_upper_tail(count, max(baseline, MEAN_FLOOR))
            if count < rule.min_count or p_value >= rule.alpha:
                continue
            exists = session.execute(
                select(Alert.id).where(
                    Alert.dimension == dimension,
                    Alert.value == value,
                    Alert.window_start == window_start,
                    Alert.window_end == window_end,
                )
            ).first()
            if exists:
                continue
            alert = Alert(
                id=new_id(),
                tenant_id=tenant,
                dimension=dimension,
                value=value,
                window_start=window_start,
                window_end=window_end,
                count=count,
                baseline=round(baseline, 4),
                p_value=p_value,
                method=METHOD,
                status="open",
                detected_at=utcnow(),
            )
            session.add(alert)
            outbox.record(session, pattern_detected(alert))
            found.append(alert)
    return found


def list_alerts(*, session: Session, status: str | None) -> list[Alert]:
    query = select(Alert).order_by(Alert.detected_at.desc(), Alert.id)
    if status:
        query = query.where(Alert.status == status)
    return list(session.execute(query).scalars())


def get(*, session: Session, alert_id: str) -> Alert:
    return one_found(session, select(Alert).where(Alert.id == alert_id), "alert")


def handle(*, session: Session, alert_id: str, to: str, by: str, note: str | None) -> Alert:
    alert = get(session=session, alert_id=alert_id)
    if alert.status != "open":
        raise Conflict(f"the alert is already {alert.status}")
    alert.status = to
    alert.handled_by = by
    alert.handled_at = utcnow()
    alert.note = note
    return alert


def complaints_behind(
    *, session: Session, alert: Alert, limit: int
) -> tuple[int, list[ComplaintFact]]:
    """The complaints of the alert's window with its value, counted as the projection counts
    them into daily_counts (the alert's count came from there): how many, and the first
    `limit` by date received."""
    where = facts_where(
        alert.tenant_id,
        None,
        alert.window_start,
        alert.window_end - timedelta(days=1),  # the window's end is exclusive
        {alert.dimension: (alert.value,)},
    )
    total = session.execute(select(func.count()).select_from(ComplaintFact).where(*where))
    facts = session.execute(
        select(ComplaintFact)
        .where(*where)
        .order_by(ComplaintFact.received_at, ComplaintFact.complaint_id)
        .limit(limit)
    ).scalars()
    return int(total.scalar_one()), list(facts)


def may_list_complaints(principal: Principal) -> bool:
    """The complaints behind an alert are records, and a list of them is a count of one cell
    however small: only those who see both every office's records and exact small counts
    (coordinators, tenant admins: the office level) get it. An analyst sees the alert's
    counts and breakdowns only."""
    seen = visibility(principal)
    return seen.records and seen.small_cells and seen.office is None


def complaints_of_alert(
    *, session_factory: sessionmaker[Session], principal: Principal, alert_id: str, limit: int
) -> AlertComplaints:
    """GET /v1/alerts/{id}/complaints."""
    if not may_list_complaints(principal):
        raise Forbidden(
            "the complaints behind an alert are listed to coordinators and tenant admins only; "
            "analysts see counts"
        )
    with session_scope(session_factory, tenant=principal.tenant) as session:
        alert = get(session=session, alert_id=alert_id)
        total, facts = complaints_behind(session=session, alert=alert, limit=limit)
        return AlertComplaints(
            alert_id=alert.id,
            dimension=alert.dimension,
            value=alert.value,
            window_start=alert.window_start,
            window_end=alert.window_end,
            count=alert.count,
            total=total,
            complaints=[
                ComplaintRef(
                    complaint_id=f.complaint_id,
                    case_id=f.case_id,
                    office=f.office,
                    received_on=f.received_at.date() if f.received_at else alert.window_start,
                    channel=f.channel,
                    status=f.status,
                )
                for f in facts
            ],
            truncated=total > len(facts),
        )


def detect_now(
    *,
    session_factory: sessionmaker[Session],
    outbox: Outbox,
    tenant: str,
    window_end: date | None,
    rule: Rule,
) -> list[AlertRead]:
    """POST /v1/alerts/detect: the test for one tenant now (the window ending today unless
    given); the alerts it raised."""
    with session_scope(session_factory, tenant=tenant) as session:
        found = detect(
            session=session,
            outbox=outbox,
            tenant=tenant,
            window_end=window_end or utcnow().date(),
            rule=rule,
        )
        return answered(session, tenant, found)


def answered(session: Session, tenant: str, alerts: list[Alert]) -> list[AlertRead]:
    """The alerts as answers, who handled each named."""
    return answers_naming(session, staff_names, tenant, "handled_by", AlertRead, alerts)


def alerts_of(
    *, session_factory: sessionmaker[Session], tenant: str, status: str | None
) -> list[AlertRead]:
    with session_scope(session_factory, tenant=tenant) as session:
        return answered(session, tenant, list_alerts(session=session, status=status))


def handle_alert(
    *,
    session_factory: sessionmaker[Session],
    tenant: str,
    alert_id: str,
    to: str,
    by: str,
    note: str | None,
) -> AlertRead:
    """Acknowledge or dismiss an open alert of the tenant (409 once handled)."""
    with session_scope(session_factory, tenant=tenant) as session:
        alert = handle(session=session, alert_id=alert_id, to=to, by=by, note=note)
        (answer,) = answered(session, tenant, [alert])
        return answer


@dataclass(frozen=True)
class ScheduledPass:
    tenants: int
    alerts: list[Alert]


def detect_for_every_tenant(
    *, session_factory: sessionmaker[Session], outbox: Outbox, now: datetime
) -> ScheduledPass:
    """The worker's periodic pass: every tenant with counted complaints, the window ending
    today (exclusive, as `alac analytics detect-patterns` without --window-end). One
    transaction per tenant, so one tenant's failure does not hold back the others' alerts;
    the window's unique key keeps a repeated pass from alerting twice."""
    with session_scope(session_factory, all_tenants=True) as session:
        t = DailyCount.__table__
        tenants = list(session.execute(select(t.c.tenant_id).distinct()).scalars())
    found: list[Alert] = []
    for tenant in sorted(tenants):
        with session_scope(session_factory, tenant=tenant) as session:
            found += detect(session=session, outbox=outbox, tenant=tenant, window_end=now.date())
    return ScheduledPass(tenants=len(tenants), alerts=found)
