"""The targets `make bench` prints at the end, read from each benchmark's JSON result.

Each reader takes one benchmark's result (as written to bench/results/) and returns its rows:
what is measured, the figure, what it is compared with in the same run (the ceiling) or the
previous run's figure, the target, and whether it is met. The targets are the issues' (#13
pages, #14 dashboard cards and the report PDF, #15 intake, idle, visibility, read models).
A reader that meets a result without the figure (an older result, a failed step) returns a
row saying so rather than raising: the summary must print whatever happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Result = dict[str, Any]


@dataclass(frozen=True)
class Row:
    what: str
    figure: float | None
    unit: str
    target: str
    met: bool | None
    beside: str = ""  # the ceiling in the same run, or a comparison

    def figure_text(self) -> str:
        if self.figure is None:
            return "n/a"
        return f"{self.figure:,.4g}" if abs(self.figure) < 1 else f"{self.figure:,.1f}"


def _below(value: float | None, limit: float) -> bool | None:
    return None if value is None else value < limit


def _at_least(value: float | None, limit: float) -> bool | None:
    return None if value is None else value >= limit


def native(result: Result) -> list[Row]:
    """Issue #15 item 2: intake's throughput as a share of the ceiling, its p99 at c=32 and
    its RSS under sustained load."""
    runs = {(r["target"], r["concurrency"]): r for r in result.get("results", [])}
    rows = []
    for c in sorted({c for (t, c) in runs if t == "intake"}):
        intake, ceiling = runs[("intake", c)], runs.get(("ceiling", c))
        ratio = intake["accepted_per_s"] / ceiling["accepted_per_s"] if ceiling else None
        rows.append(Row(
            f"intake accepted/s over the ceiling's, c={c}", ratio, "ratio", ">= 0.07",
            _at_least(ratio, 0.07),
            f"intake {intake['accepted_per_s']:,.1f}/s, ceiling "
            f"{ceiling['accepted_per_s']:,.0f}/s" if ceiling else "",
        ))  # fmt: skip
        rows.append(Row(
            f"intake CPU per accepted complaint, c={c}", intake["server_cpu_ms_per_accepted"],
            "ms", "(no target)", None,
            f"ceiling {ceiling['server_cpu_ms_per_accepted']} ms" if ceiling else "",
        ))  # fmt: skip
    if ("intake", 32) in runs:
        p99 = runs[("intake", 32)]["p99_ms"]
        ceiling = runs.get(("ceiling", 32))
        rows.append(Row("intake p99 at c=32", p99, "ms", "< 250", _below(p99, 250),
                        f"ceiling {ceiling['p99_ms']} ms" if ceiling else ""))  # fmt: skip
    sustained = result.get("sustained")
    if sustained and sustained.get("rss_growth_pct") is not None:
        samples = sustained.get("rss_samples") or []
        seconds = sustained["result"].get("duration_s", "?")
        growth = sustained["rss_growth_pct"]
        rows.append(Row(
            f"intake RSS growth over {seconds} s at c=32 (sampled every 10 s)", growth, "%",
            "< 10 (over 600 s)", _below(growth, 10),
            f"{samples[0][1]:.0f} MiB at 10 s" if samples else "",
        ))  # fmt: skip
    return rows


def idle(result: Result) -> list[Row]:
    """Issue #15 item 3: the idle platform's CPU."""
    share = result.get("cpu_pct_of_one_core")
    return [Row(f"idle platform over {result.get('window_s', 60):.0f} s, all processes", share,
                "% of a core", "< 1", _below(share, 1.0),
                f"RSS {result.get('rss_mib', 0):,.0f} MiB")]  # fmt: skip


def visibility(result: Result) -> list[Row]:
    """Issue #15 item 4: from intake's answer until each read model shows the complaint."""
    rate = result.get("rate_per_s")
    rows = []
    for name, m in result.get("ms", {}).items():
        missing = result.get("not_visible_within_60_s", {}).get(name, 0)
        p99 = m.get("p99")
        rows.append(Row(
            f"POST answer -> {name} at {rate:g}/s, p99", p99, "ms", "< 500",
            None if p99 is None else (p99 < 500 and not missing),
            f"p50 {m.get('p50')} ms; {m.get('n')} seen, {missing} not within 60 s",
        ))  # fmt: skip
    return rows


def rebuild(result: Result) -> list[Row]:
    """Issue #15 item 5: the analytics rebuild rate."""
    figures = (result.get("rebuild") or {}).get("rebuild")
    if not figures:
        return [Row(f"analytics rebuild ({result.get('database')})", None, "events/s",
                    ">= 50,000", None)]  # fmt: skip
    rate = figures["events_per_second"]
    return [Row(
        f"analytics rebuild ({result.get('database')}), {figures['events']:,} events", rate,
        "events/s", ">= 50,000", _at_least(rate, 50_000),
        f"{figures.get('events_per_cpu_second')} per CPU second",
    )]  # fmt: skip


def search(result: Result) -> list[Row]:
    """Issue #15 item 5: search at the benchmarked size (1 M complaints unless --quick)."""
    documents = (result.get("indexing") or {}).get("documents")
    rows = []
    for q in result.get("queries", []):
        target = q.get("target_p95_ms")
        if target is None:
            continue
        previous = q.get("previous_p95_ms")
        rows.append(Row(
            f"search {q['kind'].replace('_', ' ')}, {documents:,} complaints, p95", q["p95_ms"],
            "ms", f"< {target:.0f}", _below(q["p95_ms"], target),
            f"CPU p95 {q.get('cpu_p95_ms')} ms" + (f"; at filing {previous:.0f} ms" if previous else ""),
        ))  # fmt: skip
    return rows


def pages(result: Result) -> list[Row]:
    """Issue #13: server time of the staff pages."""
    by_page = {p["page"]: p for p in result.get("pages", [])}
    ceiling = by_page.get("ceiling")
    complaints = (result.get("loading") or {}).get("complaints")
    rows = []
    for name in ("triage", "case", "search"):
        if name in by_page:
            p95 = by_page[name]["p95_ms"]
            rows.append(Row(
                f"page {name}, {complaints:,} complaints, p95", p95, "ms", "< 100",
                _below(p95, 100), f"ceiling page p95 {ceiling['p95_ms']} ms" if ceiling else "",
            ))  # fmt: skip
    return rows


def dashboard(result: Result) -> list[Row]:
    """Issue #14: every dashboard card's server time."""
    cards = result.get("cards", {})
    if not cards:
        return [Row("dashboard cards", None, "ms", "< 100 each", None)]
    worst_name, worst = max(cards.items(), key=lambda item: item[1]["p95_ms"])
    under = sum(1 for c in cards.values() if c["p95_ms"] < 100)
    complaints = result.get("complaints_in_daily_counts")
    return [Row(
        f"dashboard, slowest of {len(cards)} cards ({worst_name}), "
        f"{complaints:,} complaints, p95", worst["p95_ms"], "ms", "< 100 each",
        under == len(cards),
        f"{under} of {len(cards)} under; ceiling p95 {result['ceiling_healthz']['p95_ms']} ms",
    )]  # fmt: skip


def report_pdf(result: Result) -> list[Row]:
    """Issue #14: the full statistical report as a PDF."""
    figures = result.get("figures", {})
    ceiling = figures.get("ceiling (json)", {}).get("p95_ms")
    rows = []
    for name, f in figures.items():
        if name.startswith("pdf"):
            rows.append(Row(
                f"report {name}, {result.get('complaints', 0):,} complaints, p95", f["p95_ms"],
                "ms", "< 3,000", _below(f["p95_ms"], 3000), f"JSON report p95 {ceiling} ms",
            ))  # fmt: skip
    return rows


def kafka(result: Result) -> list[Row]:
    """Issue #9: the platform's Kafka bus against raw kafka-python."""
    ratios = result.get("ratios", {})
    ratio = ratios.get("end_to_end_per_s")
    goal = result.get("goal")
    raw = (result.get("raw") or {}).get("end_to_end_per_s")
    return [Row("Kafka bus end-to-end over raw kafka-python's", ratio, "ratio",
                f">= {goal}", None if goal is None else _at_least(ratio, goal),
                f"raw {raw:,.0f} records/s" if raw else "")]  # fmt: skip


def onboarding(result: Result) -> list[Row]:
    """Issue #12: onboarding a centre (no numeric target: printed beside its ceiling)."""
    row = result.get("in_a_row", {})
    ceiling = result.get("ceiling_identity_only", {})
    return [Row(
        f"onboarding, {result.get('centres')} centres in a row, p50 per centre",
        row.get("p50_ms"), "ms", "(no target)", None,
        f"identity provider alone p50 {ceiling.get('p50_ms')} ms",
    )]  # fmt: skip


READERS: dict[str, Callable[[Result], list[Row]]] = {
    "native": native,
    "idle": idle,
    "visibility": visibility,
    "analytics": rebuild,
    "search": search,
    "pages": pages,
    "dashboard": dashboard,
    "report_pdf": report_pdf,
    "kafka": kafka,
    "onboarding": onboarding,
}
