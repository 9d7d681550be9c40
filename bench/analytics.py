"""`python -m bench.analytics`: analytics report latency at 1M / 10M complaints, and the
rebuild rate in events per second.

Report latency: the pre-aggregated tables (`daily_counts`, `monthly_counts`) are generated directly with the shape
N complaints would give (3 tenants x 4 offices x 3 years of days; every complaint counted once
in every dimension with realistic value lists), in a fresh analytics database migrated to head.
Then `GET /v1/reports/statistics` (HTTP through the real app in-process, real token check,
JSON answer) is timed for a one-year report of one tenant and for a three-year report, and
`GET /v1/dashboard/timeseries`. Nothing reads the facts, so the complaint count changes the
numbers in the cells, not the number of cells.

Rebuild: E/3 complaint histories (complaint.received, case.opened, case.closed = 3 events
each; one a minute from 2025-01-01 at tk's 4 offices, values drawn from VALUES) are published to the log, then the
rebuild (`alac_analytics.projections.rebuild.rebuild`) runs twice over the same log, the first
run warming the caches, and the second is reported: events per second (wall clock, the whole
rebuild: fresh tables, every batch, the counts, the swap, the catch-up), events per CPU second
of this process, the PostgreSQL server's CPU seconds (`--postgres`), the load average. With
`--previous` the rebuild as it was before issue #15 (every batch's count differences upserted)
replaces the warm-up run.

Usage: python -m bench.analytics [--complaints 1000000 10000000] [--events 60000]
       [--postgres]   (default SQLite files in a temporary folder) [--previous]
       python -m bench.analytics --complaints --events 60000   (the rebuild only)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import MetaData, insert

from alac_analytics.app import create_app
from alac_analytics.models import DailyCount, MonthlyCount
from alac_analytics.projections import Projection
from alac_analytics.projections.rebuild import (
    AGGREGATES,
    LIVE_TABLES,
    RebuildResult,
    _drain,
    rebuild,
    shadow,
)
from alac_kernel.bus import OutgoingRecord
from alac_kernel.events import new_event
from alac_kernel.outbox import record_headers
from alac_kernel.settings import Settings
from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer
from alac_kernel.testing.postgres import fresh_database

TENANTS = {"tk": ["almaty", "astana", "aktau", "atyrau"], "ndi": ["shymkent", "pavlodar",
           "uralsk", "aktobe"], "hrm": ["kostanay", "taraz", "oral", "semey"]}  # fmt: skip
VALUES = {
    "channel": ["hotline", "email", "web_form", "walk_in", "mobile_clinic", "letter"],
    "area": ["education", "judicial_system", "property_rights", "housing", "healthcare",
             "police", "labour", "banking", "not_corruption_related", "unspecified"],
    "sub_area": [f"sub_{i}" for i in range(20)],
    "authority_level": ["local", "regional", "central", "private_organisation", "undefined"],
    "respondent_body_type": ["akimat", "court", "police", "school", "hospital", "bank",
                             "employer", "university", "condominium", "other"],
    "complainant_type": ["individual", "organisation", "initiative_group"],
    "sex": ["female", "male", "not_stated"],
    "age_band": ["age_18_25", "age_26_35", "age_36_45", "age_46_60", "age_over_60"],
    "education": ["secondary", "vocational", "higher", "not_stated"],
    "residence": ["urban", "suburban", "rural"],
    "region": [f"region_{i}" for i in range(20)],
    "request_type": ["information_request", "case"],
    "corruption_related": ["yes", "no", "indirect"],
    "status": ["quick_answer", "triage", "assessment", "in_action", "closed"],
    "outcome": ["resolved", "advice_given", "rejected", "referred", "undefined"],
    "anonymous": ["yes", "no"],
    "withdrawn": ["yes", "no"],
    "time_to_triage_hours": [str(h) for h in range(0, 72)],
    "time_to_close_hours": [str(h) for h in range(24, 24 * 60, 24)],
}  # fmt: skip
DAYS = 3 * 365
REBUILD_TARGET = 50_000  # events/s, issue #15 item 5
FIRST_DAY = date(2023, 1, 1)


def split(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` spread over `parts` cells, unevenly (as real distributions are)."""
    weights = [rng.random() ** 2 + 0.01 for _ in range(parts)]
    scale = total / sum(weights)
    counts = [int(w * scale) for w in weights]
    counts[0] += total - sum(counts)
    return counts


def generate(engine, complaints: int, seed: int = 7) -> int:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    offices = [(t, o) for t, os in TENANTS.items() for o in os]
    per_day = complaints / (len(offices) * DAYS)
    rows: list[dict[str, Any]] = []
    months: dict[tuple, int] = {}
    written = 0
    table = DailyCount.__table__
    with engine.begin() as conn:
        for tenant, office in offices:
            for d in range(DAYS):
                day = FIRST_DAY + timedelta(days=d)
                n = max(0, round(rng.gauss(per_day, per_day**0.5)))
                if not n:
                    continue
                rows.append(dict(tenant_id=tenant, office=office, day=day, dimension="total",
                                 value="all", n=n))  # fmt: skip
                for dimension, values in VALUES.items():
                    share = n if dimension not in ("outcome", "time_to_close_hours") else n // 2
                    for value, c in zip(values, split(share, len(values), rng), strict=True):
                        if c:
                            rows.append(dict(tenant_id=tenant, office=office, day=day,
                                             dimension=dimension, value=value, n=c))  # fmt: skip
                if len(rows) >= 20000:
                    roll_up(rows, months)
                    conn.execute(insert(table), rows)
                    written += len(rows)
                    rows.clear()
        if rows:
            roll_up(rows, months)
            conn.execute(insert(table), rows)
            written += len(rows)
        monthly = [dict(tenant_id=t, office=o, month=m, dimension=d, value=v, n=n)
                   for (t, o, m, d, v), n in months.items()]  # fmt: skip
        for chunk in range(0, len(monthly), 20000):
            conn.execute(insert(MonthlyCount.__table__), monthly[chunk : chunk + 20000])
    return written


def roll_up(rows: list[dict[str, Any]], months: dict[tuple, int]) -> None:
    for r in rows:
        key = (r["tenant_id"], r["office"], r["day"].replace(day=1), r["dimension"], r["value"])
        months[key] = months.get(key, 0) + r["n"]


def timed(client: TestClient, url: str, params: dict, headers: dict, runs: int) -> dict:
    client.get(url, params=params, headers=headers)  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        r = client.get(url, params=params, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert r.status_code == 200, r.text
    samples.sort()
    return {
        "runs": runs,
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(0.95 * runs) - 1)], 1),
        "max_ms": round(samples[-1], 1),
    }


@contextlib.contextmanager
def analytics_app(tmp: Path, postgres: bool):  # type: ignore[no-untyped-def]
    with contextlib.ExitStack() as stack:
        urls = {"db": None, "bus": None}
        if postgres:
            urls = {k: stack.enter_context(fresh_database(f"alac_bench_{k}")) for k in urls}
        issuer = InProcessIssuer(tmp / "keys")
        settings = Settings(data_dir=tmp, database_url=urls["db"], bus_url=urls["bus"],
                            run_workers=False, auth_issuer=TEST_ISSUER, log_level="WARNING")  # fmt: skip
        app = create_app(settings, issuer.verifier())
        app.state.runtime.migrate()
        client = stack.enter_context(TestClient(app))
        yield app.state.runtime, client, issuer


def report_latency(complaints: int, postgres: bool, runs: int) -> dict:
    with (
        tempfile.TemporaryDirectory() as tmp,
        analytics_app(Path(tmp), postgres) as (
            runtime,
            client,
            issuer,
        ),
    ):
        started = time.perf_counter()
        cells = generate(runtime.engine, complaints)
        generated_s = time.perf_counter() - started
        headers = issuer.headers("kazbek")
        one_year = {"from": "2025-01-01", "to": "2025-12-31"}
        all_years = {"from": "2023-01-01", "to": "2025-12-31"}
        return {
            "complaints": complaints,
            "daily_count_rows": cells,
            "generate_s": round(generated_s, 1),
            "report_1_year_all_offices": timed(
                client, "/v1/reports/statistics", one_year, headers, runs
            ),  # fmt: skip
            "report_3_years_one_office": timed(
                client, "/v1/reports/statistics", {**all_years, "office": "almaty"}, headers, runs
            ),  # fmt: skip
            "report_1_year_suppressed_lawyer": timed(
                client, "/v1/reports/statistics", one_year, issuer.headers("lena"), runs
            ),  # fmt: skip
            "dashboard_timeseries_3_years": timed(
                client, "/v1/dashboard/timeseries", {**all_years, "interval": "week"}, headers, runs
            ),  # fmt: skip
        }


def complaint_history(
    i: int, rng: random.Random, topics: tuple[str, str], start: datetime
) -> list[OutgoingRecord]:
    """The i-th complaint's received / case opened / case closed: received i minutes after
    `start` at one of tk's 4 offices, its values drawn from VALUES (a fact is in ~170 pair
    cells; with every complaint alike, as this bench had them until 2026-12-07, they would
    all be the same cells)."""
    topic_c, topic_k = topics
    tenant = "tk"
    office = rng.choice(TENANTS[tenant])
    cid, kid = str(uuid.UUID(int=rng.getrandbits(128))), str(uuid.UUID(int=rng.getrandbits(128)))
    at = start + timedelta(minutes=i)
    pick = {k: rng.choice(v) for k, v in VALUES.items()}
    complainant = {"pseudonym": f"p{i}", "type": pick["complainant_type"], "sex": pick["sex"],
                   "age_band": pick["age_band"], "education": pick["education"],
                   "residence": pick["residence"], "region": pick["region"]}  # fmt: skip
    received = new_event(type="complaint.received", source="/alac/intake", subject=cid,
        tenant=tenant, version=1, time=at, data={
            "complaint_id": cid, "office": office, "channel": pick["channel"],
            "anonymous": rng.random() < 0.4, "received_at": at.isoformat(), "crux": "Жалоба.",
            "complainant": complainant, "area": pick["area"], "sub_area": pick["sub_area"],
            "authority_level": pick["authority_level"], "request_type": pick["request_type"],
            "respondent_body_type": pick["respondent_body_type"],
            "corruption_related": pick["corruption_related"]})  # fmt: skip
    opened_at = at + timedelta(hours=rng.randrange(1, 72))
    opened = new_event(type="case.opened", source="/alac/cases", subject=kid, tenant=tenant,
        version=1, data={
            "case_id": kid, "complaint_id": cid, "office": office,
            "opened_at": opened_at.isoformat(), "status": rng.choice(["triage", "quick_answer"]),
            "channel": pick["channel"], "anonymous": False})  # fmt: skip
    closed = new_event(type="case.closed", source="/alac/cases", subject=kid, tenant=tenant,
        version=2, data={
            "case_id": kid, "complaint_id": cid, "office": office, "outcome": pick["outcome"],
            "closed_at": (opened_at + timedelta(hours=rng.randrange(1, 24 * 60))).isoformat()})  # fmt: skip
    return [
        OutgoingRecord(topic=topic, key=key, value=event.to_json(), headers=record_headers(event))
        for topic, key, event in ((topic_c, cid, received), (topic_k, kid, opened),
                                  (topic_k, kid, closed))
    ]  # fmt: skip


def previous_rebuild(runtime: Any, batch_size: int) -> RebuildResult:
    """The rebuild as it was before its counts were taken once at the end: every batch's
    count differences upserted into the fresh tables (`Projection.apply_many`, what the live
    consumer does per event). Into shadow tables of its own; nothing is swapped."""
    started = time.perf_counter()
    metadata = MetaData()
    tables = [shadow(t, metadata) for t in LIVE_TABLES]
    metadata.drop_all(runtime.engine)
    metadata.create_all(runtime.engine)
    topics = [runtime.settings.topic(a) for a in AGGREGATES]
    consumer = runtime.bus.consumer(f"bench-previous-{uuid.uuid4().hex[:8]}", topics)
    try:
        events, applied = _drain(runtime, consumer, Projection(*tables), batch_size, 3,
                                 analyze=True)  # fmt: skip
    finally:
        consumer.close()
        metadata.drop_all(runtime.engine)
    return RebuildResult("previous", events, applied, 0, time.perf_counter() - started)


def server_cpu_seconds(runtime: Any) -> float | None:
    """CPU seconds used so far by the local PostgreSQL server (its postmaster, the backends
    it has reaped, and those alive), read from /proc; None on SQLite (in this process) or when
    the server is not a local process this user can read."""
    if runtime.engine.dialect.name != "postgresql":
        return None
    try:
        with runtime.engine.connect() as conn:
            data = conn.exec_driver_sql("SHOW data_directory").scalar_one()
        postmaster = int(Path(data, "postmaster.pid").read_text().split()[0])
        ticks = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                pid, parent = int(stat.parent.name), int(fields[1])
                if pid == postmaster:  # its own time and its reaped children's
                    total += sum(int(f) for f in fields[11:15])
                elif parent == postmaster:
                    total += int(fields[11]) + int(fields[12])
        return total / ticks
    except (OSError, ValueError, IndexError):
        return None


def rebuild_rate(events: int, postgres: bool, previous: bool = False) -> dict:
    """The rebuild's rate (and with `previous` the previous way's, over the same log in the
    same run)."""
    with (
        tempfile.TemporaryDirectory() as tmp,
        analytics_app(Path(tmp), postgres) as (
            runtime,
            _client,
            _issuer,
        ),
    ):
        topics = (runtime.settings.topic("complaint"), runtime.settings.topic("case"))
        rng = random.Random(5)
        start = datetime(2025, 1, 1, tzinfo=UTC)
        batch: list[OutgoingRecord] = []
        for i in range(events // 3):
            batch += complaint_history(i, rng, topics, start)
            if len(batch) >= 3000:
                runtime.bus.publish(batch)
                batch = []
        if batch:
            runtime.bus.publish(batch)
        figures: dict[str, Any] = {"load_average_before": [round(x, 2) for x in os.getloadavg()]}
        # The previous way first: the page cache and the log's pages are then as warm for
        # the rebuild as for it. Without it, the rebuild runs twice (the first run warms them).
        runs: list[tuple[str, Any]] = [
            ("previous", lambda: previous_rebuild(runtime, 5000)) if previous else
            ("warm-up", lambda: rebuild(runtime)),
            ("rebuild", lambda: rebuild(runtime)),
        ]  # fmt: skip
        for name, run in runs:
            server = server_cpu_seconds(runtime)
            cpu = time.process_time()
            result = run()
            cpu = time.process_time() - cpu
            if server is not None:
                server = (server_cpu_seconds(runtime) or server) - server
            figures[name] = {
                "events": result.events,
                "facts": result.facts,
                "seconds": round(result.seconds, 1),
                "events_per_second": round(result.events_per_second),
                # The machine is shared: CPU time of this process says what the code costs
                # whatever else runs (the database server's own work is not in it).
                "cpu_seconds": round(cpu, 2),
                "events_per_cpu_second": round(result.events / cpu) if cpu else None,
                # PostgreSQL's own work (SQLite's is in this process's CPU time).
                "server_cpu_seconds": round(server, 2) if server is not None else None,
                "load_average_after": [round(x, 2) for x in os.getloadavg()],
            }
        figures["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
        return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, nargs="*", default=[1_000_000, 10_000_000])
    parser.add_argument("--events", type=int, default=60_000)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--previous", action="store_true",
                        help="also time the rebuild as it was before issue 15 (counts upserted per batch)")  # fmt: skip
    parser.add_argument(
        "--output", type=Path, help="JSON output (bench/results/analytics-<database>.json)"
    )
    args = parser.parse_args(argv)
    results: dict[str, Any] = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": "postgresql" if args.postgres else "sqlite",
        "report": [report_latency(n, args.postgres, args.runs) for n in args.complaints],
        "rebuild": rebuild_rate(args.events, args.postgres, args.previous) if args.events else None,
    }
    print(json.dumps(results, indent=2))
    if results["rebuild"]:
        print(rebuild_summary(results["rebuild"], results["database"]))
    out = args.output or Path(__file__).parent / "results" / f"analytics-{results['database']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    return 0


def rebuild_summary(figures: dict[str, Any], database: str) -> str:
    new = figures["rebuild"]
    lines = [
        f"analytics rebuild ({database}), {new['events']:,} events, load average "
        f"{figures['load_average_before']} -> {figures['load_average_after']}:"
    ]
    for name, label in (("rebuild", "now"), ("previous", "previous")):
        if name not in figures:
            continue
        run = figures[name]
        server = run["server_cpu_seconds"]
        lines.append(
            f"  {label:<9} {run['events_per_second']:>8,} events/s ({run['seconds']} s wall), "
            f"{run['events_per_cpu_second']:>8,} per CPU second of this process"
            + (f", server CPU {server} s" if server is not None else "")
            + (" (counts upserted per batch)" if name == "previous" else "")
        )
    lines.append(
        f"  target    {REBUILD_TARGET:>8,} events/s"
        f"  {'met' if new['events_per_second'] >= REBUILD_TARGET else 'NOT MET'}"
        " (wall clock: on a busy machine, read the CPU figures)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
