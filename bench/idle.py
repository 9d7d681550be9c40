"""`python -m bench.idle`: what an idle platform costs.

Starts `alac up` (embedded profile: the web front end, the four services and the development
issuer) in a temporary data folder, waits until every service answers and the start-up work
has settled, then reads the CPU time (user + system) and resident memory of every process of
the platform from /proc at the start and the end of a window in which nothing is sent to it.
Prints the total as a percentage of one core, each process's share, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.procs import BIN, REPO, Processes

TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
HOST = "127.0.0.1"
RESULTS = Path(__file__).resolve().parent / "results" / "idle.json"


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def cpu_and_rss(pid: int) -> tuple[float, float] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, IndexError, ValueError):
        return None
    return (int(fields[11]) + int(fields[12])) / TICKS, rss


def name_of(pid: int) -> str:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in args if a]
    for i, word in enumerate(words):
        if word in ("serve", "web", "dev-issuer", "up") and i > 0:
            return " ".join(Path(w).name for w in words[i - 1 : i + 2])
    return " ".join(Path(w).name for w in words[:3])


def free_base() -> int:
    rng = random.Random()
    for _ in range(50):
        base = rng.randrange(20000, 30000, 100)
        ports = [base, base + 1, base + 2, base + 3, base + 4, base + 90]
        try:
            for port in ports:
                with socket.socket() as s:
                    s.bind((HOST, port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range found")


def wait_ready(base: int, procs: Processes, timeout_s: float) -> None:
    urls = [f"http://{HOST}:{base + i}/readyz" for i in (1, 2, 3, 4)]
    deadline = time.monotonic() + timeout_s
    pending = list(urls)
    while pending and time.monotonic() < deadline:
        if procs.procs["platform"].poll() is not None:
            raise RuntimeError(f"alac up exited:\n{procs.tail('platform')}")
        url = pending[0]
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                pending.pop(0)
                continue
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    if pending:
        raise RuntimeError(
            f"not ready within {timeout_s:.0f} s: {pending}\n{procs.tail('platform')}"
        )


def measure(root: int, window_s: float) -> dict:
    pids = descendants(root)
    before = {pid: cpu_and_rss(pid) for pid in pids}
    load_before = os.getloadavg()[0]
    time.sleep(window_s)
    rows = []
    for pid in pids:
        a, b = before.get(pid), cpu_and_rss(pid)
        if a is None or b is None:
            continue
        rows.append({"pid": pid, "name": name_of(pid), "cpu_s": round(b[0] - a[0], 3),
                     "rss_mib": round(b[1], 1)})  # fmt: skip
    total_cpu = sum(r["cpu_s"] for r in rows)
    return {
        "window_s": window_s,
        "processes": rows,
        "cpu_pct_of_one_core": round(100 * total_cpu / window_s, 2),
        "rss_mib": round(sum(r["rss_mib"] for r in rows), 1),
        "loadavg": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }


def run(window_s: float, settle_s: float, demo: bool, keep: bool) -> dict:
    data = Path(tempfile.mkdtemp(prefix="alac-bench-idle-"))
    (data / "logs").mkdir()
    base = free_base()
    env = dict(os.environ)
    env.update(ALAC_LOG_LEVEL="WARNING", PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])))  # fmt: skip
    try:
        with Processes(data / "logs") as procs:
            args = [str(BIN / "alac"), "up", "--data", str(data / "platform"),
                    "--port-base", str(base), "--demo" if demo else "--no-demo"]  # fmt: skip
            proc = procs.spawn("platform", args, env)
            wait_ready(base, procs, timeout_s=300)
            time.sleep(settle_s)
            result = measure(proc.pid, window_s)
            result["port_base"] = base
            result["demo"] = demo
            return result
    finally:
        if keep:
            print(f"data and logs kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.idle", description=__doc__)
    p.add_argument("--window", type=float, default=60.0, help="seconds measured (60)")
    p.add_argument("--settle", type=float, default=20.0, help="seconds after ready (20)")
    p.add_argument("--demo", action="store_true", help="load the demo data first")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    args = p.parse_args(argv)
    try:
        r = run(args.window, args.settle, args.demo, args.keep)
    except (RuntimeError, OSError) as exc:
        print(f"bench.idle failed: {exc}", file=sys.stderr)
        return 1
    print(f"idle platform over {r['window_s']:.0f} s (load average {r['loadavg'][0]:.2f} -> "
          f"{r['loadavg'][1]:.2f}):")  # fmt: skip
    for row in sorted(r["processes"], key=lambda x: -x["cpu_s"]):
        print(f"  {100 * row['cpu_s'] / r['window_s']:6.2f} % of a core  {row['rss_mib']:7.1f} MiB"
              f"  {row['name']}")  # fmt: skip
    print(f"total: {r['cpu_pct_of_one_core']:.2f} % of one core, {r['rss_mib']:.0f} MiB RSS")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(r, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
