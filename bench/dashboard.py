"""`python -m bench.dashboard`: the server time of every dashboard card (p50, p95) beside a
ceiling measured in the same run, at N complaints.

Set-up (one process, every app real and in-process over ASGI, as the web tests wire them):
the web front end signed in as the coordinator kazbek through the development issuer's code
flow, analytics, intake and cases on SQLite files in a temporary folder, migrated to head.

- The pre-aggregates (`daily_counts`, `monthly_counts`) get the shape N complaints give, as
  `bench.analytics` builds them (3 tenants x 4 offices x 3 years): every unfiltered card reads
  only these, so their size, not N, sets its cost.
- A cross-filtered card (a bar clicked: a filter on another dimension) reads the period's
  whole months from `pair_counts` (generated with the shape N complaints give, like the
  other pre-aggregates) and its edge days from the tenant's facts (`complaint_facts`,
  docs/analytics.md "Dashboard filters"). Writing 10 million facts into SQLite takes far
  longer than a benchmark run should, so the facts are generated at a smaller scale
  (`--facts`, default 1,000,000 over the 3 years, 1/3 of them in the benchmarked tenant);
  the benchmarked period is a calendar year, whole months only, so it reads no facts.

Each card is requested as the browser's htmx does (`HX-Request`, the card's HTML), `--runs`
times after one warm-up; server time is measured around the in-process request. The ceiling:
the same client asking the web front end's `/healthz` (the cost of the request path itself).
The target is the issue's: p95 under 100 ms per card.

Server time is wall-clock time and the machine is shared, so the CPU time the process spent
on each request (`time.process_time`; every app runs in this process and nothing else runs in
it between requests) is printed beside it, with the load average at the start and the end.

Building the data set takes minutes at 10 million complaints: `--data DIR` keeps the databases
in DIR and, when DIR already holds a data set built with the same `--complaints` and
`--facts` (its `dataset.json` says so), reuses it instead of building it again.

Usage: python -m bench.dashboard [--complaints 10000000] [--facts 10000000] [--runs 20]
       [--data DIR]
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
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import insert

from alac_analytics.app import create_app as analytics_app
from alac_analytics.models import PairCount
from alac_analytics.projections.dimensions import PAIRED
from alac_cases.app import create_app as cases_app
from alac_intake.app import create_app as intake_app
from alac_kernel.settings import Settings
from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer
from alac_web.app import create_app as web_app
from alac_web.dashboard import CARDS
from alac_web.settings import WebSettings
from bench.analytics import DAYS, FIRST_DAY, TENANTS, VALUES, generate, split

TARGET_MS = 100.0
RESULTS = Path(__file__).parent / "results" / "dashboard-sqlite.json"
PERIOD = "from=2025-01-01&to=2025-12-31"
#: Twelve months with a partial month at both ends (the console's default, the last 12 months
#: up to today, has such edges), the most expensive for a cross-filtered card: it reads whole
#: months from pair_counts and, per edge month, the fewer of its days in or out of the period
#: from complaint_facts: here 1-15 January (January's pairs less those) and 1-15 December.
EDGES = "from=2025-01-16&to=2025-12-15"
EDGE_DAYS = (("2025-01-01", "2025-01-16"), ("2025-12-01", "2025-12-16"))  # [from, to)
CROSS_FILTER = "filter=area:education"
FACT_COLUMNS = ("channel", "area", "sub_area", "authority_level", "respondent_body_type",
                "complainant_type", "sex", "age_band", "education", "residence", "region",
                "request_type", "corruption_related", "status", "outcome")  # fmt: skip


def generate_pairs(engine, complaints: int, seed: int = 13) -> int:  # type: ignore[no-untyped-def]
    """pair_counts with the shape `complaints` give (what a cross-filtered card reads for whole
    months): per office and month, every two dimensions' values with counts summing to the
    month's complaints. Returns the rows written."""
    rng = random.Random(seed)
    offices = [(t, o) for t, os in TENANTS.items() for o in os]
    dimensions = sorted(d for d in VALUES if d in PAIRED)
    per_month = complaints // (len(offices) * 36)
    table = PairCount.__table__
    written = 0
    rows: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for tenant, office in offices:
            for m in range(36):
                month = date(FIRST_DAY.year + m // 12, m % 12 + 1, 1)
                for i, dim in enumerate(dimensions):
                    for by in dimensions[i + 1 :]:
                        cells = [(v, b) for v in VALUES[dim] for b in VALUES[by]]
                        for (value, by_value), n in zip(
                            cells, split(per_month, len(cells), rng), strict=True
                        ):
                            if n:
                                rows.append(dict(tenant_id=tenant, office=office, month=month,
                                                 dimension=dim, value=value, by_dimension=by,
                                                 by_value=by_value, n=n))  # fmt: skip
                if len(rows) >= 50000:
                    conn.execute(insert(table), rows)
                    written += len(rows)
                    rows.clear()
        if rows:
            conn.execute(insert(table), rows)
            written += len(rows)
    return written


def _drawn(values: list[str], number: str = "random()") -> str:
    """SQL picking one of `values` by `number` (at random by default), evenly (bench
    constants, not input: quoted for SQL all the same)."""
    quoted = " ".join(
        f"WHEN {i} THEN '{v.replace(chr(39), chr(39) * 2)}'" for i, v in enumerate(values)
    )
    return f"CASE abs({number} % {len(values)}) {quoted} END"


def generate_facts(engine, facts: int, batch: int = 1_000_000) -> None:  # type: ignore[no-untyped-def]
    """`facts` complaint facts over the tenants' offices (in turn) and 3 years, written by
    SQLite itself (a recursive CTE and `random()`, one INSERT ... SELECT per `batch`): 10
    million build in minutes where rows made in Python and sent through the driver took an
    hour. The facts are written in the order complaints arrive (received_at increasing, as
    the projection writes them), so every index is appended to, not written at random; the
    values are drawn evenly from bench.analytics.VALUES (SQLite's random(): not seeded)."""
    offices = [(t, o) for t, os in TENANTS.items() for o in os]
    start = int(datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, tzinfo=UTC).timestamp())
    seconds = DAYS * 24 * 3600 - 3600  # the last complaint within the third year
    tenant = "CASE i % {n} {w} END".format(
        n=len(offices), w=" ".join(f"WHEN {i} THEN '{t}'" for i, (t, _) in enumerate(offices))
    )
    office = "CASE i % {n} {w} END".format(
        n=len(offices), w=" ".join(f"WHEN {i} THEN '{o}'" for i, (_, o) in enumerate(offices))
    )
    columns = [c for c in FACT_COLUMNS if c not in ("status", "outcome")]
    # One number per fact (the CTE's r, computed once per row) picks its status, so that
    # only closed complaints get an outcome, as the projection has it.
    statuses = VALUES["status"]
    sql = f"""
        WITH RECURSIVE seq(i, r) AS (
            SELECT ?, random() UNION ALL SELECT i + 1, random() FROM seq WHERE i + 1 < ?
        )
        INSERT INTO complaint_facts (tenant_id, complaint_id, office, received_at,
            complaint_version, case_version, anonymous, withdrawn, historical,
            deadlines_missed, status, outcome, {", ".join(columns)})
        SELECT {tenant}, printf('00000000-0000-4000-8000-%012x', i), {office},
            strftime('%Y-%m-%d %H:%M:%S.000000', {start} + i * {seconds} / ? + abs(random() % 3600),
                     'unixepoch'),
            1, 1, abs(random() % 10) < 4, 0, 0, 0, {_drawn(statuses, "r")},
            CASE WHEN abs(r % {len(statuses)}) = {statuses.index("closed")}
                 THEN {_drawn(VALUES["outcome"])} END,
            {", ".join(_drawn(VALUES[c]) for c in columns)}
        FROM seq
    """  # noqa: S608 - bench constants only
    with engine.connect() as conn:
        for first in range(0, facts, batch):
            conn.exec_driver_sql(sql, (first, min(facts, first + batch), facts))
            conn.commit()


def edge_facts(engine) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """The facts on EDGES' edge days of kazbek's tenant (the index range a partial-months card
    scans) and of his office (the rows it reads)."""
    days = (
        "tenant_id = 'tk' AND ("
        + " OR ".join(f"(received_at >= '{a}' AND received_at < '{b}')" for a, b in EDGE_DAYS)
        + ")"
    )
    with engine.connect() as conn:
        count = lambda where: int(  # noqa: E731
            conn.exec_driver_sql(f"SELECT count(*) FROM complaint_facts WHERE {where}").scalar_one()  # noqa: S608
        )
        return {"tenant": count(days), "office": count(days + " AND office = 'almaty'")}


def timed(client: TestClient, url: str, runs: int) -> dict[str, float] | None:
    """p50 and p95 in ms, and the median CPU time of the process per request; None for a
    card that analytics does not offer (it renders empty)."""
    headers = {"HX-Request": "true"}
    first = client.get(url, headers=headers)
    assert first.status_code == 200, (url, first.status_code, first.text[:300])
    if url != "/healthz" and not first.text.strip():
        return None
    if url != "/healthz":  # a card, not a sign-in prompt or an error in its place
        assert 'class="card' in first.text and "n = " in first.text, first.text[:500]
    assert "card-failed" not in first.text and 'role="alert"' not in first.text, first.text[:500]
    samples, cpu = [], []
    for _ in range(runs):
        started, cpu_started = time.perf_counter(), time.process_time()
        answer = client.get(url, headers=headers)
        samples.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert answer.status_code == 200
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(0, int(0.95 * runs + 0.5) - 1)], 1),
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def sign_in(web: TestClient, issuer: InProcessIssuer, username: str) -> None:
    start = web.get("/staff/login?next=/staff", follow_redirects=False)
    authorize = urlsplit(start.headers["location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    answer = issuer.client.post(
        authorize.path, data={**params, "username": username, "password": "demo" + username},
        follow_redirects=False,
    )  # fmt: skip
    back = urlsplit(answer.headers["location"])
    assert web.get(f"/staff/callback?{back.query}", follow_redirects=False).status_code == 303


@contextlib.contextmanager
def platform(tmp: Path):  # type: ignore[no-untyped-def]
    with contextlib.ExitStack() as stack:
        issuer = InProcessIssuer(tmp / "keys")
        settings = Settings(data_dir=tmp, run_workers=False, auth_issuer=TEST_ISSUER,
                            log_level="WARNING")  # fmt: skip
        analytics = analytics_app(settings, issuer.verifier())
        intake = intake_app(settings, issuer.verifier())
        # Cases too: the front end asks its tenant registry for the tenant's time zone
        # (cached; without an answer it would ask again, and fail, on every card).
        cases = cases_app(settings, issuer.verifier())
        for app in (analytics, intake, cases):
            app.state.runtime.migrate()
        web = web_app(
            WebSettings(intake_url="http://intake.bench", cases_url="http://cases.bench",
                        analytics_url="http://analytics.bench", issuer_url=TEST_ISSUER,
                        data_dir=tmp / "web"),
            intake_transport=httpx.ASGITransport(app=intake),
            cases_transport=httpx.ASGITransport(app=cases),
            analytics_transport=httpx.ASGITransport(app=analytics),
            issuer_transport=httpx.ASGITransport(app=issuer.app),
        )  # fmt: skip
        client = stack.enter_context(TestClient(web, base_url="http://127.0.0.1"))
        sign_in(client, issuer, "kazbek")
        yield analytics.state.runtime, client, issuer


def dataset(runtime, folder: Path, complaints: int, facts: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """The data set in `folder`: reused when it was built there with the same scale, else
    built (and described in `dataset.json` for the next run)."""
    marker = folder / "dataset.json"
    wanted = {"complaints": complaints, "facts": facts}
    if marker.exists():
        described = json.loads(marker.read_text())
        if {k: described.get(k) for k in wanted} == wanted:
            return {**described, "reused": True}
        raise SystemExit(f"{folder} holds another data set ({described}); choose another --data")
    started = time.perf_counter()
    built = {
        **wanted,
        "daily_count_rows": generate(runtime.engine, complaints),
        "pair_count_rows": generate_pairs(runtime.engine, complaints),
    }
    generate_facts(runtime.engine, facts)
    built["generate_s"] = round(time.perf_counter() - started, 1)
    marker.write_text(json.dumps(built) + "\n")
    return {**built, "reused": False}


def run(complaints: int, facts: int, runs: int, data: Path | None = None) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        if data is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            folder = data
            folder.mkdir(parents=True, exist_ok=True)
        runtime, client, issuer = stack.enter_context(platform(folder))
        built = dataset(runtime, folder, complaints, facts)
        load_before = os.getloadavg()
        ceiling = timed(client, "/healthz", runs)
        cards, absent = {}, []
        for name in CARDS:
            # The development issuer's tokens last 15 minutes: a fresh session per card.
            sign_in(client, issuer, "kazbek")
            url = f"/staff/dashboard/cards/{name}?lang=ru&{PERIOD}"
            figures = timed(client, url, runs)
            if figures is None:
                absent.append(name)
                continue
            cards[name] = figures
            if name.startswith("by-") and name != "by-area":
                cards[f"{name} | {CROSS_FILTER}"] = timed(client, f"{url}&{CROSS_FILTER}", runs)
                edges = f"/staff/dashboard/cards/{name}?lang=ru&{EDGES}&{CROSS_FILTER}"
                cards[f"{name} | {CROSS_FILTER} | partial months"] = timed(client, edges, runs)
        return {
            "complaints_in_daily_counts": complaints,
            "edge_day_facts": edge_facts(runtime.engine),
            "daily_count_rows": built["daily_count_rows"],
            "pair_count_rows": built["pair_count_rows"],
            "facts": facts,
            "generate_s": built["generate_s"],
            "data_set_reused": built["reused"],
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "runs": runs,
            "ceiling_healthz": ceiling,
            "cards": cards,
            "not_offered_by_analytics": absent,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000_000)
    parser.add_argument("--facts", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument(
        "--data", type=Path, default=None,
        help="keep the databases in this folder and reuse them in the next run",
    )  # fmt: skip
    args = parser.parse_args(argv)
    result = run(args.complaints, args.facts, args.runs, args.data)
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(
        f"Dashboard cards, server time over {args.runs} requests each (SQLite; web front end, "
        f"analytics and intake in-process)\n"
        f"scale: {args.complaints:,} complaints in the pre-aggregates "
        f"({result['daily_count_rows']:,} daily_counts rows, {result['pair_count_rows']:,} "
        f"pair_counts rows); {args.facts:,} complaint facts, of which "
        f"{result['edge_day_facts']['tenant']:,} of the tenant on the edge days the "
        f"partial-months cards read ({EDGES}), {result['edge_day_facts']['office']:,} of them "
        f"at the coordinator's office\n"
        f"data set {'reused from ' + str(args.data) if result['data_set_reused'] else 'built'}"
        f" (generation {result['generate_s']} s)\n"
        f"load average (1, 5, 15 min) {result['load_average_before']} at the start, "
        f"{result['load_average_after']} at the end\n"
        f"ceiling (GET /healthz through the same client): p95 {result['ceiling_healthz']['p95_ms']} ms"
        f" (CPU {result['ceiling_healthz']['cpu_p50_ms']} ms); target per card: p95 < "
        f"{TARGET_MS:.0f} ms"
    )
    width = max(len(k) for k in result["cards"])
    print(f"{'card':<{width}}  {'p50 ms':>8}  {'p95 ms':>8}  {'CPU p50':>8}  target")
    over = 0
    for name, figures in result["cards"].items():
        ok = figures["p95_ms"] < TARGET_MS
        over += not ok
        print(f"{name:<{width}}  {figures['p50_ms']:>8}  {figures['p95_ms']:>8}  "
              f"{figures['cpu_p50_ms']:>8}  {'ok' if ok else 'OVER'}")  # fmt: skip
    print(f"{len(result['cards']) - over} of {len(result['cards'])} cards under the target")
    if result["not_offered_by_analytics"]:
        print(
            "not offered by this analytics (no card):",
            ", ".join(result["not_offered_by_analytics"]),
        )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
