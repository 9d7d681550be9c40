"""`python -m bench.report_pdf`: the full statistical report as a PDF, beside its ceiling.

A fresh analytics database (SQLite files, or PostgreSQL with --postgres) gets the
pre-aggregated counts N complaints of one tenant give over a year (4 offices x 365 days, every
dimension with every code of its reference list, so every figure of every section is full, with
translated labels), then `GET /v1/reports/statistics` is timed through the real app in-process
(token check included):

- ceiling: the same report as JSON: reading and computing the figures, with no rendering;
- pdf kk / ru / en: the full press-ready PDF (cover, headline figures, offices side by side,
  every figure for all offices combined and for each office);
- xlsx: the same figures as a spreadsheet.

The target (issue 14) is the full PDF under 3 s; the figures are printed beside the ceiling
measured in the same run, since the machine is shared and absolute times move with its load.
The complaint count changes the numbers in the cells, not the number of cells.

Usage: python -m bench.report_pdf [--complaints 10000000] [--runs 5] [--postgres] [--days 365]
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
from sqlalchemy import insert

from alac_analytics.labels import REFERENCE_LIST
from alac_analytics.models import DailyCount, MonthlyCount
from alac_kernel import reference
from bench.analytics import analytics_app, split, timed

OFFICES = ("almaty", "astana", "aktau", "atyrau")
FIRST_DAY, DAYS = date(2025, 1, 1), 365
TARGET_MS = 3000.0


def values() -> dict[str, list[str]]:
    out = {dim: sorted(reference.codes(name)) for dim, name in REFERENCE_LIST.items()}
    out["status"] = ["quick_answer", "triage", "assessment", "in_action", "closed"]
    out["anonymous"] = out["withdrawn"] = out["live"] = ["yes", "no"]
    out["time_to_triage_hours"] = [str(h) for h in range(72)]
    out["time_to_close_hours"] = [str(h) for h in range(24, 24 * 60, 24)]
    return out


def generate(engine, complaints: int, days: int = DAYS, seed: int = 11) -> int:  # type: ignore[no-untyped-def]
    rng = random.Random(seed)
    per_day = complaints / (len(OFFICES) * days)
    dims = values()
    partial = ("outcome", "non_corruption_reason", "time_to_close_hours")
    rows: list[dict[str, Any]] = []
    months: dict[tuple, int] = {}
    written = 0
    with engine.begin() as conn:
        for office in OFFICES:
            for d in range(days):
                day = FIRST_DAY + timedelta(days=d)
                n = max(1, round(rng.gauss(per_day, per_day**0.5)))
                cells = [("total", "all", n)]
                for dimension, codes in dims.items():
                    share = n // 3 if dimension in partial else n
                    cells += [
                        (dimension, v, c)
                        for v, c in zip(codes, split(share, len(codes), rng), strict=True)
                        if c
                    ]
                for dimension, value, c in cells:
                    rows.append(dict(tenant_id="tk", office=office, day=day,
                                     dimension=dimension, value=value, n=c))  # fmt: skip
                    key = ("tk", office, day.replace(day=1), dimension, value)
                    months[key] = months.get(key, 0) + c
                if len(rows) >= 20000:
                    conn.execute(insert(DailyCount.__table__), rows)
                    written += len(rows)
                    rows.clear()
        if rows:
            conn.execute(insert(DailyCount.__table__), rows)
            written += len(rows)
        monthly = [dict(tenant_id=t, office=o, month=m, dimension=d, value=v, n=n)
                   for (t, o, m, d, v), n in months.items()]  # fmt: skip
        for chunk in range(0, len(monthly), 20000):
            conn.execute(insert(MonthlyCount.__table__), monthly[chunk : chunk + 20000])
    return written


def run(complaints: int, runs: int, postgres: bool, days: int = DAYS) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        analytics_app(Path(tmp), postgres) as (
            runtime,
            client,
            issuer,
        ),
    ):
        started = time.perf_counter()
        cells = generate(runtime.engine, complaints, days)
        generated_s = time.perf_counter() - started
        headers = issuer.headers("kazbek")
        year = {"from": "2025-01-01", "to": "2025-12-31"}
        url = "/v1/reports/statistics"
        pdf = client.get(url, params={**year, "format": "pdf", "lang": "ru"}, headers=headers)
        pages = len(pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        figures = {"ceiling (json)": timed(client, url, year, headers, runs)}
        for lang in ("kk", "ru", "en"):
            params = {**year, "format": "pdf", "lang": lang}
            figures[f"pdf {lang}"] = timed(client, url, params, headers, runs)
        figures["xlsx ru"] = timed(
            client, url, {**year, "format": "xlsx", "lang": "ru"}, headers, runs
        )
        return {
            "complaints": complaints,
            "daily_count_rows": cells,
            "generate_s": round(generated_s, 1),
            "pdf_pages": pages,
            "pdf_bytes": len(pdf.content),
            "figures": figures,
        }


def table(result: dict[str, Any]) -> str:
    ceiling = result["figures"]["ceiling (json)"]["p50_ms"]
    header = f"{'target':<16} {'runs':>4} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'x ceiling':>9} {'< 3 s':>6}"
    lines = [header, "-" * len(header)]
    for name, f in result["figures"].items():
        ratio = f["p50_ms"] / ceiling if ceiling else float("nan")
        within = "yes" if f["p95_ms"] < TARGET_MS else "NO"
        lines.append(
            f"{name:<16} {f['runs']:>4} {f['p50_ms']:>8.1f} {f['p95_ms']:>8.1f} "
            f"{f['max_ms']:>8.1f} {ratio:>9.1f} {within:>6}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--complaints", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--days", type=int, default=DAYS, help="days of data (smoke tests: fewer)")
    parser.add_argument(
        "--output", type=Path, help="JSON output (bench/results/report-pdf-<database>.json)"
    )
    args = parser.parse_args(argv)
    result = run(args.complaints, args.runs, args.postgres, args.days)
    result["when"] = datetime.now(UTC).isoformat(timespec="seconds")
    result["database"] = "postgresql" if args.postgres else "sqlite"
    print(
        f"full statistical report, one tenant, 4 offices, one year, {args.complaints:,} "
        f"complaints ({result['daily_count_rows']:,} daily cells, {result['database']}): "
        f"PDF of {result['pdf_pages']} pages, {result['pdf_bytes']:,} bytes"
    )
    print(table(result))
    out = args.output or Path(__file__).parent / "results" / f"report-pdf-{result['database']}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
