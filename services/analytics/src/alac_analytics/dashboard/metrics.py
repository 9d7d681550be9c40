"""Prometheus business metrics, read from the read model at scrape time.

A collector (not counters bumped by the handlers) so the figures equal the read model,
survive restarts and rebuilds, and are right whichever process applied the events. The
collector reads the runtime bound last (one analytics runtime per process in production).

`/metrics` is read by operators and monitoring, not only by office-level staff, so the
statistics rules hold here too: no series names a staff member (the backlog is split into
assigned / unassigned, not by lawyer), and a series about complainants (received by
channel, time to triage) whose count is a small cell of its tenant (1 to threshold-1) is
left out rather than published: scraped every few seconds, it would date one complaint and
give its channel. Workload series (open cases, backlog, missed deadlines) describe the
centre's work, not a complainant, and stay exact so that alerts can fire on one missed
deadline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from alac_analytics.models import ComplaintFact, DailyCount, PrivacySetting
from alac_analytics.privacy import service as privacy
from alac_analytics.reports.service import percentiles
from alac_kernel.db import session_scope
from alac_kernel.runtime import ServiceRuntime


class BusinessMetrics:
    def __init__(self) -> None:
        self.runtime: ServiceRuntime | None = None

    def bind(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime

    def describe(self) -> list[Metric]:
        return []  # collected lazily; nothing to check at registration

    def collect(self) -> Iterator[Metric]:
        if self.runtime is None:
            return
        facts, counts = ComplaintFact.__table__, DailyCount.__table__
        received = CounterMetricFamily(
            "alac_complaints_received",
            "Complaints received, by tenant, office and channel",
            labels=["tenant", "office", "channel"],
        )
        open_cases = GaugeMetricFamily(
            "alac_open_cases", "Cases not closed", labels=["tenant", "office"]
        )
        backlog = GaugeMetricFamily(
            "alac_case_backlog",
            "Open cases, assigned to a lawyer or not",
            labels=["tenant", "office", "assigned"],
        )
        missed = CounterMetricFamily(
            "alac_deadlines_missed", "Case deadlines missed", labels=["tenant", "office"]
        )
        triage = GaugeMetricFamily(
            "alac_time_to_triage_hours",
            "Hours from receipt to the end of triage, all complaints so far",
            labels=["tenant", "quantile"],
        )
        with session_scope(self.runtime.session_factory, all_tenants=True) as session:
            limits = dict(
                session.execute(
                    select(PrivacySetting.tenant_id, PrivacySetting.small_cell_threshold)
                ).all()
            )

            def shown(tenant: str, n: int) -> bool:
                return not 0 < n < limits.get(tenant, privacy.DEFAULT_THRESHOLD)

            for tenant, office, channel, n in session.execute(
                select(counts.c.tenant_id, counts.c.office, counts.c.value, func.sum(counts.c.n))
                .where(counts.c.dimension == "channel")
                .group_by(counts.c.tenant_id, counts.c.office, counts.c.value)
            ):
                if shown(tenant, int(n or 0)):
                    received.add_metric([tenant, office, channel], int(n or 0))
            for tenant, office, n in session.execute(
                select(facts.c.tenant_id, facts.c.office, func.count())
                .where(facts.c.case_id.is_not(None), facts.c.status != "closed")
                .group_by(facts.c.tenant_id, facts.c.office)
            ):
                open_cases.add_metric([tenant, office or "unspecified"], n)
            assigned = facts.c.assignee.is_not(None)
            for tenant, office, is_assigned, n in session.execute(
                select(facts.c.tenant_id, facts.c.office, assigned, func.count())
                .where(facts.c.case_id.is_not(None), facts.c.status != "closed")
                .group_by(facts.c.tenant_id, facts.c.office, assigned)
            ):
                backlog.add_metric(
                    [tenant, office or "unspecified", "yes" if is_assigned else "no"], n
                )
            for tenant, office, n in session.execute(
                select(
                    facts.c.tenant_id, facts.c.office, func.sum(facts.c.deadlines_missed)
                ).group_by(facts.c.tenant_id, facts.c.office)
            ):
                missed.add_metric([tenant, office or "unspecified"], int(n or 0))
            hist: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
            for tenant, hours, n in session.execute(
                select(counts.c.tenant_id, counts.c.value, func.sum(counts.c.n))
                .where(counts.c.dimension == "time_to_triage_hours")
                .group_by(counts.c.tenant_id, counts.c.value)
            ):
                hist[tenant][hours] += int(n or 0)
        for tenant, histogram in hist.items():
            p = percentiles(histogram)
            if p["n"] and shown(tenant, p["n"]):
                triage.add_metric([tenant, "0.5"], p["median"])
                triage.add_metric([tenant, "0.9"], p["p90"])
        yield from (received, open_cases, backlog, missed, triage)


BUSINESS_METRICS = BusinessMetrics()
REGISTRY.register(BUSINESS_METRICS)
