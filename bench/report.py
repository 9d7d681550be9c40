"""The figures as a table on stdout and as JSON."""

from __future__ import annotations

import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from bench.load import LevelResult

HEADER = (
    f"{'target':<11} {'conc':>4} {'requests':>8} {'accepted/s':>10} {'p50 ms':>8} "
    f"{'p99 ms':>8} {'errors':>6} {'ratio':>6} "
    f"{'srv CPU%':>8} {'cli CPU%':>8} {'srv CPU ms/req':>14}"
)


def machine() -> dict[str, Any]:
    cpu_model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    return {
        "cpus_usable": usable,  # what `nproc` prints
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "executable": sys.executable,
        # other work on the machine disturbs the figures: the 1/5/15-minute load averages
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def ratios(results: list[LevelResult], target: str = "intake") -> dict[int, float]:
    """`target` accepted/s divided by ceiling accepted/s, per concurrency level."""
    ceiling = {r.concurrency: r.accepted_per_s for r in results if r.target == "ceiling"}
    out = {}
    for r in results:
        if r.target == target and ceiling.get(r.concurrency):
            out[r.concurrency] = r.accepted_per_s / ceiling[r.concurrency]
    return out


def table(results: list[LevelResult]) -> str:
    lines = [HEADER, "-" * len(HEADER)]
    for r in results:
        rat = ratios(results, r.target)
        ratio = (
            "1.000"
            if r.target == "ceiling"
            else (f"{rat[r.concurrency]:.3f}" if r.concurrency in rat else "-")
        )
        lines.append(
            f"{r.target:<11} {r.concurrency:>4} {r.requests:>8} {r.accepted_per_s:>10.1f} "
            f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>6} {ratio:>6} "
            f"{_num(r.server_cpu_pct, 8, 0)} {_num(r.client_cpu_pct, 8, 0)} "
            f"{_num(r.server_cpu_ms_per_accepted, 14, 2)}"
        )
    return "\n".join(lines)


def _num(value: float | None, width: int, digits: int) -> str:
    return f"{value:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def cpu_ratios(results: list[LevelResult], target: str = "intake") -> dict[int, float]:
    """Ceiling server CPU per request divided by intake's: the throughput ratio the two servers
    would have if each had the same CPU and the load generator cost nothing."""
    ceiling = {
        r.concurrency: r.server_cpu_ms_per_accepted for r in results if r.target == "ceiling"
    }
    out = {}
    for r in results:
        c = ceiling.get(r.concurrency)
        if r.target == target and c and r.server_cpu_ms_per_accepted:
            out[r.concurrency] = c / r.server_cpu_ms_per_accepted
    return out


def ratio_lines(results: list[LevelResult], target: str = "intake") -> str:
    ceiling = {r.concurrency: r for r in results if r.target == "ceiling"}
    lines = []
    for r in results:
        if r.target != target or r.concurrency not in ceiling:
            continue
        c = ceiling[r.concurrency]
        ratio = r.accepted_per_s / c.accepted_per_s if c.accepted_per_s else 0.0
        lines.append(
            f"ratio {target}/ceiling at concurrency {r.concurrency}: {ratio:.3f} "
            f"({r.accepted_per_s:.1f} vs {c.accepted_per_s:.1f} accepted/s)"
        )
    cpu = cpu_ratios(results, target)
    for level, value in cpu.items():
        lines.append(
            f"server-CPU ratio (ceiling ms/req / {target} ms/req) at concurrency {level}: "
            f"{value:.4f}"
        )
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
