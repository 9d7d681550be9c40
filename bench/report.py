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
    f"{'target':<9} {'conc':>4} {'requests':>8} {'accepted/s':>10} {'p50 ms':>8} "
    f"{'p99 ms':>8} {'errors':>6} {'ratio':>6}"
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
    }


def ratios(results: list[LevelResult]) -> dict[int, float]:
    """intake accepted/s divided by ceiling accepted/s, per concurrency level."""
    ceiling = {r.concurrency: r.accepted_per_s for r in results if r.target == "ceiling"}
    out = {}
    for r in results:
        if r.target == "intake" and ceiling.get(r.concurrency):
            out[r.concurrency] = r.accepted_per_s / ceiling[r.concurrency]
    return out


def table(results: list[LevelResult]) -> str:
    rat = ratios(results)
    lines = [HEADER, "-" * len(HEADER)]
    for r in results:
        ratio = "1.000" if r.target == "ceiling" else (f"{rat[r.concurrency]:.3f}" if r.concurrency in rat else "-")
        lines.append(
            f"{r.target:<9} {r.concurrency:>4} {r.requests:>8} {r.accepted_per_s:>10.1f} "
            f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.errors:>6} {ratio:>6}"
        )
    return "\n".join(lines)


def ratio_lines(results: list[LevelResult]) -> str:
    ceiling = {r.concurrency: r for r in results if r.target == "ceiling"}
    lines = []
    for r in results:
        if r.target != "intake" or r.concurrency not in ceiling:
            continue
        c = ceiling[r.concurrency]
        ratio = r.accepted_per_s / c.accepted_per_s if c.accepted_per_s else 0.0
        lines.append(
            f"ratio intake/ceiling at concurrency {r.concurrency}: {ratio:.3f} "
            f"({r.accepted_per_s:.1f} vs {c.accepted_per_s:.1f} accepted/s)"
        )
    return "\n".join(lines)


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)
