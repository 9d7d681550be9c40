"""`python -m bench.suite` (`make bench`, `make bench-quick`): every benchmark in one run, then
one table of the issues' targets, each beside its ceiling from the same run and the figure of
the previous run of the same mode on this machine.

Steps (each a `python -m bench.<name>` process; its own output is shown as it runs):

| step | full run (`make bench`) | `--quick` (`make bench-quick`) |
|---|---|---|
| native | intake vs ceiling (wrk), c=8 and 32, 8 s each, 90 s sustained | `--quick` |
| idle | 60 s after 20 s settling | 10 s after 2 s |
| visibility | 20 complaints/s for 30 s | 10/s for 5 s |
| search | 1 M complaints, 100 queries a kind | 2,000 complaints, 20 |
| pages | 100,000 complaints, 100 requests a page | 2,000, 20 |
| dashboard | 10 M complaints, 20 requests a card | 100,000, 3 (data set kept too) |
| report_pdf | 10 M complaints, 5 runs | 100,000, 60 days, 2 runs |
| analytics | rebuild of 60,000 events, SQLite and PostgreSQL | 10,000 events, SQLite |
| kafka | the bus against raw kafka-python, 10,000 records x 2 rounds | not run (a JVM to start) |
| onboarding | 30 centres | 3 centres |

The 1 M search index and the 10 M dashboard data set take minutes to build: a full run keeps
them in `bench/data/` (ignored by git) and later runs reuse them (the step times printed
under the table show a first run's build). The 10-minute RSS check of issue #15 is a
run of its own (`python -m bench.native --sustain 600`); the full run's 90 s sustained level
shows the trend.

A step that fails is reported in the table (its rows read n/a) and the run goes on; the exit
status is 1 if any step failed. Figures are wall-clock on a shared machine: the load average
is printed at each step's start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import targets

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
DATA = BENCH / "data"


@dataclass(frozen=True)
class Step:
    name: str  # the bench module (bench.<name>), and the key of its reader in bench.targets
    result: str  # the JSON file it writes under bench/results
    full: tuple[str, ...]
    quick: tuple[str, ...] | None  # None: not run in --quick
    label: str = ""

    def args(self, quick: bool) -> tuple[str, ...] | None:
        return self.quick if quick else self.full


STEPS: tuple[Step, ...] = (
    Step("native", "native-latest.json",
         ("--concurrency", "8,32", "--duration", "8", "--warmup", "2", "--sustain", "90"),
         ("--quick",)),
    Step("idle", "idle.json", (), ("--window", "10", "--settle", "2")),
    Step("visibility", "visibility.json", ("--rate", "20", "--seconds", "30"),
         ("--rate", "10", "--seconds", "5")),
    Step("search", "search.json", ("--index", str(DATA / "search-1m"), "--queries", "100"),
         ("--quick",)),
    Step("pages", "pages.json", ("--requests", "100"), ("--quick",)),
    # The scale is spelled out (and names the folder): a data set kept at another scale is
    # refused by the bench rather than reused.
    Step("dashboard", "dashboard-sqlite.json",
         ("--complaints", "10000000", "--facts", "10000000",
          "--data", str(DATA / "dashboard-10m-complaints-10m-facts")),
         ("--complaints", "100000", "--facts", "10000", "--runs", "3",
          "--data", str(DATA / "dashboard-quick"))),
    Step("report_pdf", "report-pdf-sqlite.json", (),
         ("--complaints", "100000", "--runs", "2", "--days", "60")),
    Step("analytics", "analytics-sqlite.json", ("--complaints", "--events", "60000"),
         ("--complaints", "--events", "10000"), label="analytics (SQLite)"),
    Step("analytics", "analytics-postgresql.json",
         ("--complaints", "--events", "60000", "--postgres"), None,
         label="analytics (PostgreSQL)"),
    Step("kafka", "kafka.json", ("--records", "10000", "--rounds", "2"), None),
    Step("onboarding", "onboarding.json", ("--centres", "30"), ("--centres", "3", "--complaints", "5")),
)  # fmt: skip


#: Where the table's "previous" column sits in a row (the widths of `summary`'s columns).
_BEFORE_PREVIOUS = 72 + 1 + 10 + 1 + 11 + 1 + 17 + 1 + 4 + 1  # measure, figure, unit, target, met
PREVIOUS_COLUMN = slice(_BEFORE_PREVIOUS, _BEFORE_PREVIOUS + 9)


@dataclass
class Outcome:
    step: Step
    seconds: float = 0.0
    status: str = "not run"  # ok, failed (exit N), not run in --quick
    result: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_step(step: Step, quick: bool, results: Path, kept: Path) -> Outcome:
    outcome = Outcome(step, previous=_read(kept / step.result))
    args = step.args(quick)
    label = step.label or step.name
    if args is None:
        outcome.status = "not run in --quick"
        print(f"\n=== {label}: not run in --quick", flush=True)
        return outcome
    result_file = results / step.result
    result_file.unlink(missing_ok=True)  # so that a failed step cannot show an old figure
    command = [sys.executable, "-m", f"bench.{step.name}", *args, "--output", str(result_file)]
    print(f"\n=== {label}: {' '.join(command[1:])} (load average {_load()})", flush=True)
    started = time.monotonic()
    code = subprocess.run(command, cwd=BENCH.parent).returncode
    outcome.seconds = time.monotonic() - started
    outcome.result = _read(result_file)
    outcome.status = "ok" if code == 0 and outcome.result else f"failed (exit {code})"
    print(f"=== {label}: {outcome.status} in {outcome.seconds:.0f} s (load average {_load()})",
          flush=True)  # fmt: skip
    if outcome.result:
        kept.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(result_file, kept / step.result)
    return outcome


def _previous_figure(outcome: Outcome, row: targets.Row) -> str:
    if not outcome.previous:
        return ""
    reader = targets.READERS[outcome.step.name]
    for old in reader(outcome.previous):
        if old.what == row.what and old.figure is not None:
            return old.figure_text()
    return ""


def summary(outcomes: list[Outcome], quick: bool, total_s: float) -> str:
    lines = [
        "",
        f"Targets ({'--quick: smaller scales, not the targets conditions' if quick else 'full run'};"
        f" {total_s / 60:.1f} min in all; load average now {_load()})",
    ]
    header = f"{'measure':<72} {'figure':>10} {'unit':<11} {'target':<17} {'met':<4} {'previous':>9}  beside it"
    lines += [header, "-" * len(header)]
    for outcome in outcomes:
        label = outcome.step.label or outcome.step.name
        if outcome.status != "ok":
            lines.append(
                f"{label:<72} {'n/a':>10} {'':<11} {'':<17} {'':<4} {'':>9}  {outcome.status}"
            )
            continue
        for row in targets.READERS[outcome.step.name](outcome.result):
            met = {True: "yes", False: "NO", None: ""}[row.met]
            lines.append(
                f"{row.what[:72]:<72} {row.figure_text():>10} {row.unit:<11} {row.target:<17} "
                f"{met:<4} {_previous_figure(outcome, row):>9}  {row.beside}"
            )
    lines.append("")
    lines.append("step times: " + ", ".join(
        f"{o.step.label or o.step.name} {o.seconds:.0f} s" for o in outcomes if o.seconds))  # fmt: skip
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.suite", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--quick", action="store_true", help="every step at a small scale (~2 min)")
    p.add_argument("--only", help="comma-separated step names (native, idle, visibility, ...)")
    p.add_argument("--results", type=Path, default=RESULTS, help="where the JSON results go")
    args = p.parse_args(argv)
    chosen = set(args.only.split(",")) if args.only else None
    unknown = (chosen or set()) - {s.name for s in STEPS}
    if unknown:
        p.error(f"--only: no such step {', '.join(sorted(unknown))}")
    # The previous run of the same mode on this machine: a quick run never stands as the
    # previous figure of a full one.
    kept = args.results / ("last-quick" if args.quick else "last-full")
    started = time.monotonic()
    outcomes = [run_step(step, args.quick, args.results, kept) for step in STEPS
                if chosen is None or step.name in chosen]  # fmt: skip
    print(summary(outcomes, args.quick, time.monotonic() - started))
    return 1 if any(o.status.startswith("failed") for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
