"""Prometheus metrics shared by every service (one process per service, so the default
registry is per service; the `service` label keeps them apart when scraped together)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "alac_http_requests_total",
    "HTTP requests answered",
    ["service", "method", "route", "status"],
)
HTTP_SERVER_ERRORS = Counter(
    "alac_http_server_errors_total",
    "HTTP requests answered with a 5xx; present at 0 from the service's start, so the error "
    "share reads 0 rather than no data while nothing failed",
    ["service"],
)
HTTP_LATENCY = Histogram(
    "alac_http_request_duration_seconds",
    "HTTP request latency",
    ["service", "method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
EVENTS_PUBLISHED = Counter(
    "alac_events_published_total", "Events the outbox relay published", ["service", "type"]
)
EVENTS_PUBLISH_FAILURES = Counter(
    "alac_events_publish_failures_total",
    "Outbox publish attempts that failed (at 0 from the relay's start)",
    ["service"],
)
OUTBOX_BACKLOG = Gauge(
    "alac_outbox_backlog", "Outbox events written but not yet published", ["service"]
)
EVENTS_CONSUMED = Counter(
    "alac_events_consumed_total",
    "Events a consumer group handled, by outcome (applied, duplicate, ignored, "
    "dead_lettered); dead_lettered is at 0 from the consumer's start for every type it handles",
    ["service", "group", "type", "outcome"],
)
CONSUMER_LAG = Gauge(
    "alac_consumer_lag", "Records not yet consumed", ["service", "group", "topic", "partition"]
)
VAULT_OPERATIONS = Counter(
    "alac_vault_operations_total",
    "Operations on complainants' encrypted personal data (store, read, erase, rekey): what "
    "the operations dashboard watches for unusual reading; counted when done, before commit",
    ["service", "operation"],
)
AUDIT_ENTRIES = Counter(
    "alac_audit_entries_total",
    "Entries written to the tamper-evident audit chain, by what was done",
    ["service", "what"],
)
