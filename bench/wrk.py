"""Drive one HTTP target with wrk (Debian's native load generator) and read the server's cost
from /proc while it runs.

Why wrk: the Python load generator of bench/load.py needs more CPU per request than a
hello-world server, so the ceiling it measured was the client's, not the server's. wrk sends
the same bodies from C, a few microseconds each.

The Lua script cycles through the given JSON bodies in the same order on every target, gives
every request a unique Idempotency-Key (run prefix, thread, counter) and counts the answers by
status; its `done` prints one JSON line (prefixed by MARKER) with the latency percentiles.
wrk's own timeout is raised to 60 s so that a slow answer is measured, not dropped.
"""

from __future__ import annotations

import json
import math
import os
import secrets
import shutil
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

MARKER = "ALAC-WRK-RESULT "
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")

_SCRIPT = r"""
bodies = { %(bodies)s }
prefix = "%(prefix)s"
counter = 0
statuses = {}
threads = {}
local next_tid = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
%(headers)s

function setup(thread)
  next_tid = next_tid + 1
  thread:set("tid", next_tid)
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local i = ((counter - 1) * %(threads)d + tid - 1) %% #bodies + 1
  wrk.headers["Idempotency-Key"] = prefix .. "-" .. tid .. "-" .. counter
  return wrk.format(nil, nil, nil, bodies[i])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    for k, v in pairs(s) do counts[k] = (counts[k] or 0) + v end
  end
  local parts = {}
  for k, v in pairs(counts) do table.insert(parts, string.format('"%%d": %%d', k, v)) end
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "duration_us": %%d, "statuses": {%%s}, ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d}, ' ..
    '"p50_us": %%d, "p90_us": %%d, "p99_us": %%d, "p999_us": %%d, "max_us": %%d, ' ..
    '"mean_us": %%d}\n',
    summary.requests, summary.duration, table.concat(parts, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
"""


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise RuntimeError(
            "wrk is not installed; `make bench` installs it "
            "(deploy/engines/ensure-system-packages wrk)"
        )
    return found


def _lua_string(text: str) -> str:
    level = 1
    while f"]{'=' * level}]" in text:
        level += 1
    return f"[{'=' * level}[{text}]{'=' * level}]"


def write_script(
    path: Path, bodies: list[dict[str, Any]], headers: dict[str, str], threads: int
) -> Path:
    lua_headers = "\n".join(
        f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in headers.items()
    )
    path.write_text(
        _SCRIPT
        % {
            "bodies": ",\n".join(_lua_string(json.dumps(b, ensure_ascii=False)) for b in bodies),
            "prefix": secrets.token_hex(6),
            "headers": lua_headers,
            "threads": threads,
            "marker": MARKER,
        },
        encoding="utf-8",
    )
    return path


@dataclass
class ProcSample:
    cpu_s: float
    rss_mib: float
    at: float


def sample(pid: int) -> ProcSample:
    """CPU seconds (user + system, the process and its reaped children) and resident memory."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3); utime, stime, cutime, cstime are fields 14-17.
    cpu = sum(int(x) for x in fields[11:15]) / TICKS
    rss_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
    return ProcSample(cpu, rss_pages * PAGE / 2**20, time.monotonic())


@dataclass
class WrkResult:
    target: str
    concurrency: int
    duration_s: float
    requests: int
    accepted: int
    accepted_per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    statuses: dict[str, int]
    socket_errors: dict[str, int]
    server_cpu_s: float
    server_cpu_ms_per_accepted: float | None
    server_cpu_pct: float
    rss_before_mib: float
    rss_after_mib: float
    loadavg_after: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run(
    *,
    url: str,
    script: Path,
    target: str,
    concurrency: int,
    duration_s: float,
    threads: int,
    server_pid: int,
    rss_samples: list[tuple[float, float]] | None = None,
) -> WrkResult:
    """One wrk run (wrk takes whole seconds: `duration_s` is rounded up); `rss_samples` (seconds since start, MiB) gets one sample every 10 s."""
    command = [
        wrk_binary(), f"-t{threads}", f"-c{concurrency}", f"-d{max(1, math.ceil(duration_s))}s", "--timeout", "60s",
        "-s", str(script), url,
    ]  # fmt: skip
    before = sample(server_pid)
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if rss_samples is not None:
        while proc.poll() is None:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                now = sample(server_pid)
                rss_samples.append((round(now.at - before.at, 1), round(now.rss_mib, 1)))
    out, err = proc.communicate()
    after = sample(server_pid)
    if proc.returncode != 0 or ".lua:" in err:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err.strip() or out.strip()}")
    line = next((x for x in out.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{out}\n{err}")
    raw = json.loads(line[len(MARKER) :])
    statuses = {str(k): int(v) for k, v in raw["statuses"].items()}
    accepted = statuses.get("201", 0) + statuses.get("200", 0)
    seconds = raw["duration_us"] / 1e6
    cpu = after.cpu_s - before.cpu_s
    return WrkResult(
        target=target,
        concurrency=concurrency,
        duration_s=round(seconds, 2),
        requests=int(raw["requests"]),
        accepted=accepted,
        accepted_per_s=round(accepted / seconds, 1) if seconds else 0.0,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        p999_ms=raw["p999_us"] / 1000,
        max_ms=raw["max_us"] / 1000,
        statuses=statuses,
        socket_errors={k: int(v) for k, v in raw["errors"].items() if v},
        server_cpu_s=round(cpu, 2),
        server_cpu_ms_per_accepted=round(cpu * 1000 / accepted, 3) if accepted else None,
        server_cpu_pct=round(100 * cpu / (after.at - before.at), 1),
        rss_before_mib=round(before.rss_mib, 1),
        rss_after_mib=round(after.rss_mib, 1),
        loadavg_after=[round(x, 2) for x in os.getloadavg()],
    )
