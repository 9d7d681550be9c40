"""Prometheus business metrics, read from the read model at scrape time.

A collector (not counters bumped by the handlers) so the figures equal the read model,
survive restarts and rebuilds, and are right whichever process applied the events. The
collector reads the runtime bound last (one analytics runtime per process in production).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from prometheus_client import REGISTRY
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select

from alac_analytics.models import ComplaintFact, DailyCount
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
            "Open cases per assigned lawyer (subject id; 'unassigned' when none)",
            labels=["tenant", "office", "assignee"],
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
            for tenant, office, channel, n in session.execute(
                select(counts.c.tenant_id, counts.c.office, counts.c.value, func.sum(counts.c.n))
                .where(counts.c.dimension == "channel")
                .group_by(counts.c.tenant_id, counts.c.office, counts.c.value)
            ):
                received.add_metric([tenant, office, channel], int(n or 0))
            for tenant, office, n in session.execute(
                select(facts.c.tenant_id, facts.c.office, func.count())
                .where(facts.c.case_id.is_not(None), facts.c.status != "closed")
                .group_by(facts.c.tenant_id, facts.c.office)
            ):
                open_cases.add_metric([tenant, office or "unspecified"], n)
            for tenant, office, assignee, n in session.execute(
                select(facts.c.tenant_id, facts.c.office, facts.c.assignee, func.count())
                .where(facts.c.case_id.is_not(None), facts.c.status != "closed")
                .group_by(facts.c.tenant_id, facts.c.office, facts.c.assignee)
            ):
                backlog.add_metric([tenant, office or "unspecified", assignee or "unassigned"], n)
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
            if p["n"]:
                triage.add_metric([tenant, "0.5"], p["median"])
                triage.add_metric([tenant, "0.9"], p["p90"])
        yield from (received, open_cases, backlog, missed, triage)


BUSINESS_METRICS = BusinessMetrics()
REGISTRY.register(BUSINESS_METRICS)  # type: ignore[arg-type]
