"""`python -m bench.search`: the embedded search engine at scale (figure set 2).

1. Generate N complaints (bench/search_corpus.py, seeded) and index them straight into the
   engine in bulk (EmbeddedEngine.apply_many, batches of --batch documents, one transaction
   each): the indexing rate is documents per second of wall-clock time, analysis included.
2. Query it: for each kind below, --queries queries (different words each time, drawn from
   the corpus vocabulary) through the same engine.search the API calls (total count, top 20 by
   relevance, highlighted snippets), after --warmup untimed queries; p50 and p95 nearest-rank.
   - two_words_two_filters: two words and two filters (office + status) in one tenant;
   - phrase: a two-word phrase in one tenant;
   - prefix: a word prefix (`взят*`...) in one tenant.
3. Print the table; write bench/results/search.json.

The index lives in a temporary folder, removed at the end unless --keep.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

from bench.search_corpus import TENANTS, documents

RESULTS = Path(__file__).resolve().parent / "results" / "search.json"
TARGET_P95_MS = 100.0

# Query words a staff member would type, per language (stems meet inflected forms).
TWO_WORDS = [
    "взятка директор", "деньги справка", "инспектор полиции", "земельного участка",
    "врач больница", "взятку школа", "пара сұрады", "ақша мектеп", "bribe director",
    "money certificate", "детский сад", "вымогал деньги", "жер учаскесін", "police inspector",
]  # fmt: skip
PHRASES = [
    '"директор школы"', '"инспектор полиции"', '"требовал взятку"', '"пара сұрады"',
    '"demanded a bribe"', '"земельного участка"', '"ақша талап"', '"land office"',
]  # fmt: skip
PREFIXES = ["взят*", "вымог*", "справк*", "директ*", "bribe*", "докум*", "қызмет*", "inspect*"]
STATUS_FILTERS = ["in_action", "triage", "closed", "received", "awaiting_response"]


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.search",
        description="Indexing rate and query latency of the embedded search engine.",
    )
    p.add_argument("--docs", type=int, default=1_000_000, help="complaints (default 1,000,000)")
    p.add_argument("--quick", action="store_true", help="2,000 complaints, 20 queries per kind")
    p.add_argument("--queries", type=int, help="timed queries per kind (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed queries per kind first")
    p.add_argument("--batch", type=int, default=10_000, help="documents per transaction")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    p.add_argument("--keep", action="store_true", help="keep the index folder")
    args = p.parse_args(argv)
    if args.quick:
        args.docs = 2_000
        args.queries = args.queries or 20
        args.warmup = min(args.warmup, 5)
    args.queries = args.queries or 200
    if args.docs < 1 or args.queries < 1 or args.batch < 1:
        p.error("--docs, --queries and --batch must be positive")
    return args


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def index(engine: Any, n: int, batch: int) -> dict[str, Any]:
    docs = documents(n)
    indexed, analysed_s = 0, 0.0
    started = time.perf_counter()
    while True:
        chunk = list(islice(docs, batch))
        if not chunk:
            break
        engine.apply_many(chunk)
        indexed += len(chunk)
        if indexed % (batch * 10) == 0:
            rate = indexed / (time.perf_counter() - started)
            print(f"  indexed {indexed:,} ({rate:,.0f} documents/s)", flush=True)
    elapsed = time.perf_counter() - started
    del analysed_s
    return {"documents": indexed, "seconds": round(elapsed, 2), "per_s": round(indexed / elapsed)}


def query_plan(kind: str, rng: random.Random) -> dict[str, Any]:
    tenant = "tk"
    if kind == "two_words_two_filters":
        return {
            "tenant": tenant,
            "q": rng.choice(TWO_WORDS),
            "filters": {
                "office": rng.choice(TENANTS[tenant][1]),
                "status": rng.choice(STATUS_FILTERS),
            },
        }
    if kind == "phrase":
        return {"tenant": tenant, "q": rng.choice(PHRASES), "filters": {}}
    return {"tenant": tenant, "q": rng.choice(PREFIXES), "filters": {}}


def measure(engine: Any, kind: str, queries: int, warmup: int) -> dict[str, Any]:
    from alac_search.engines.base import SearchRequest
    from alac_search.query.parser import parse

    rng = random.Random(kind)
    plans = [query_plan(kind, rng) for _ in range(warmup + queries)]
    times, totals = [], []
    for i, plan in enumerate(plans):
        request = SearchRequest(
            tenant=plan["tenant"], query=parse(plan["q"]), filters=plan["filters"], limit=20
        )
        t0 = time.perf_counter()
        page = engine.search(request)
        elapsed_ms = (time.perf_counter() - t0) * 1000
        if i >= warmup:
            times.append(elapsed_ms)
            totals.append(page.total)
    return {
        "kind": kind,
        "queries": queries,
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "max_ms": round(max(times), 2),
        "median_hits": int(percentile([float(t) for t in totals], 50)),
        "example": plans[warmup],
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'query':<24} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'hits p50':>9}"
    ]
    for r in results:
        lines.append(
            f"{r['kind']:<24} {r['queries']:>7} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['max_ms']:>8.1f} {r['median_hits']:>9}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from alac_search.engines.embedded import EmbeddedEngine

    engine = EmbeddedEngine(folder / "search-index.db", follow_pointer=False)
    try:
        print(f"indexing {args.docs:,} complaints in batches of {args.batch:,}", flush=True)
        indexing = index(engine, args.docs, args.batch)
        print(
            f"indexed {indexing['documents']:,} complaints in {indexing['seconds']:.1f} s: "
            f"{indexing['per_s']:,} documents/s",
            flush=True,
        )
        engine.optimize()
        size = sum(f.stat().st_size for f in folder.iterdir())
        results = [
            measure(engine, kind, args.queries, args.warmup)
            for kind in ("two_words_two_filters", "phrase", "prefix")
        ]
    finally:
        engine.close()
    return {"engine": "embedded", "indexing": indexing, "index_bytes": size, "queries": results}


def main(argv: list[str] | None = None) -> int:
    from bench import report  # imported here: bench.search_engine_choice runs without httpx

    args = parse_args(argv)
    m = report.machine()
    print(
        f"ALAC search bench: embedded engine (SQLite FTS5) on {m['cpus_usable']} CPUs "
        f"({m['cpu_model'] or 'unknown CPU'}), Python {m['python']}, "
        f"load average {m['loadavg']}",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="alac-search-bench-"))
    try:
        document = run(args, folder)
    finally:
        if args.keep:
            print(f"index kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    document["machine"] = m
    document["machine"]["loadavg_at_end"] = report.machine()["loadavg"]
    document["docs"] = args.docs
    print()
    print(table(document["queries"]))
    two = document["queries"][0]
    verdict = "met" if two["p95_ms"] < TARGET_P95_MS else "MISSED"
    print(
        f"\ntarget: p95 under {TARGET_P95_MS:.0f} ms for two words with two filters: "
        f"{verdict} ({two['p95_ms']:.1f} ms at {args.docs:,} complaints)"
    )
    report.write_json(args.output, document)
    print(f"JSON written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
