"""`python -m bench.native` (`make bench`): intake against a hello-world ceiling, driven by wrk.

1. Start the development token issuer and get a token for the demo volunteer vera.
2. Ceiling: bench/ceiling.py (FastAPI, the same uvicorn options as `alac serve`); warm up, then
   one wrk run per concurrency level with the bodies, headers and token intake gets.
3. Intake: `alac migrate intake`, `alac serve intake` with its outbox relay in the process
   (ALAC_RUN_WORKERS=true); the same runs; then the `full` bodies (every field, contact details
   on named complaints); optionally a sustained run with RSS sampled every 10 s.
4. Print each figure beside the ceiling's, as a ratio, with the load average after each run,
   and write bench/results/native-latest.json.

The machine's other work shows in the load average printed beside each figure; the ceiling is
measured in the same run so that a busy machine lowers both.
"""

from __future__ import annotations

import argparse
import shutil
import signal
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, wrk
from bench.payloads import ANONYMOUS_SHARE, complaint_bodies, full_complaint_bodies
from bench.procs import BIN, REPO, Processes, distinct_ports, service_env
from bench.run import HOST, REALM, fetch_token, outbox_drain

RESULTS = Path(__file__).resolve().parent / "results" / "native-latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.native",
        description="Intake against a hello-world ceiling, driven by wrk, in one run.",
    )
    p.add_argument("--quick", action="store_true", help="a short run, under 2 minutes")
    p.add_argument("--duration", type=float, metavar="S", help="seconds per level (15; quick 4)")
    p.add_argument("--warmup", type=float, metavar="S", help="warm-up seconds (3; quick 1)")
    p.add_argument("--concurrency", help="comma-separated levels (1,8,32; quick 8,32)")
    p.add_argument(
        "--sustain",
        type=float,
        metavar="S",
        help="then S seconds at c=32 with intake's RSS sampled every 10 s (180; quick 0)",
    )
    p.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="record intake with py-spy (non-blocking) during its levels into FILE "
        "(collapsed stacks) and print where its time went",
    )
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    p.add_argument("--keep", action="store_true", help="keep the temporary data folder and logs")
    args = p.parse_args(argv)
    args.concurrency = args.concurrency or ("8,32" if args.quick else "1,8,32")
    try:
        args.levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    except ValueError:
        p.error("--concurrency needs comma-separated positive integers")
    if not args.levels or min(args.levels) < 1:
        p.error("--concurrency needs positive integers")
    if args.duration is None:
        args.duration = 4.0 if args.quick else 15.0
    if args.warmup is None:
        args.warmup = 1.0 if args.quick else 3.0
    if args.sustain is None:
        args.sustain = 0.0 if args.quick else 180.0
    return args


def _threads(concurrency: int) -> int:
    return max(1, min(2, concurrency))


def measure(
    name: str, url: str, bodies: list[dict[str, Any]], headers: dict[str, str], pid: int,
    args: argparse.Namespace, scripts: Path,
) -> list[wrk.WrkResult]:  # fmt: skip
    results = []
    if args.warmup > 0:
        script = wrk.write_script(scripts / f"{name}-warm.lua", bodies, headers, 2)
        wrk.run(url=url, script=script, target=name, concurrency=8, duration_s=args.warmup,
                threads=2, server_pid=pid)  # fmt: skip
    for level in args.levels:
        threads = _threads(level)
        script = wrk.write_script(scripts / f"{name}-{level}.lua", bodies, headers, threads)
        r = wrk.run(url=url, script=script, target=name, concurrency=level,
                    duration_s=args.duration, threads=threads, server_pid=pid)  # fmt: skip
        print(
            f"  {name} c={level}: {r.accepted_per_s:.1f} accepted/s, p50 {r.p50_ms:.1f} ms, "
            f"p99 {r.p99_ms:.1f} ms, p99.9 {r.p999_ms:.1f} ms, server CPU "
            f"{r.server_cpu_ms_per_accepted} ms/accepted, RSS {r.rss_before_mib:.0f}->"
            f"{r.rss_after_mib:.0f} MiB; statuses {r.statuses}; load average "
            f"{r.loadavg_after[0]:.2f}",
            flush=True,
        )
        results.append(r)
    return results


def bench(args: argparse.Namespace, data: Path, procs: Processes) -> dict[str, Any]:
    issuer_port, ceiling_port, intake_port = distinct_ports(3)
    issuer = f"http://{HOST}:{issuer_port}/realms/{REALM}"
    env = service_env(data, issuer)
    alac = str(BIN / "alac")
    scripts = data / "wrk"
    scripts.mkdir()
    procs.spawn(
        "issuer",
        [alac, "dev-issuer", "--data", str(data), "--port", str(issuer_port), "--host", HOST],
        env,
    )
    procs.wait_http("issuer", f"{issuer}/.well-known/openid-configuration")
    headers = {"Authorization": f"Bearer {fetch_token(issuer)}"}
    bodies, full_bodies = complaint_bodies(1000), full_complaint_bodies(1000)

    print(f"ceiling (bench/ceiling.py) on port {ceiling_port}", flush=True)
    ceiling_proc = procs.spawn(
        "ceiling",
        [sys.executable, "-m", "bench.ceiling", "--host", HOST, "--port", str(ceiling_port)],
        env,
    )
    procs.wait_http("ceiling", f"http://{HOST}:{ceiling_port}/healthz")
    ceiling = measure("ceiling", f"http://{HOST}:{ceiling_port}/v1/complaints", bodies,
                      headers, ceiling_proc.pid, args, scripts)  # fmt: skip
    procs.stop("ceiling")

    migrated = subprocess.run([alac, "migrate", "intake"], env=env, capture_output=True,
                              text=True, cwd=REPO)  # fmt: skip
    if migrated.returncode != 0:
        raise RuntimeError(f"alac migrate intake failed:\n{migrated.stdout}{migrated.stderr}")
    print(f"intake (alac serve intake) on port {intake_port}", flush=True)
    intake_proc = procs.spawn(
        "intake", [alac, "serve", "intake", "--host", HOST, "--port", str(intake_port)], env
    )
    procs.wait_http("intake", f"http://{HOST}:{intake_port}/readyz")
    url = f"http://{HOST}:{intake_port}/v1/complaints"
    rss_start = wrk.sample(intake_proc.pid).rss_mib
    spy = None
    if args.profile:
        spy = subprocess.Popen(
            [str(BIN / "py-spy"), "record", "--pid", str(intake_proc.pid), "--nonblocking",
             "--rate", "50", "--format", "raw", "--output", str(args.profile)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
    intake = measure("intake", url, bodies, headers, intake_proc.pid, args, scripts)
    full = measure("intake-full", url, full_bodies, headers, intake_proc.pid, args, scripts)
    if spy is not None:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
        print(profile_summary(args.profile), flush=True)
    sustained: dict[str, Any] | None = None
    if args.sustain > 0:
        samples: list[tuple[float, float]] = []
        script = wrk.write_script(scripts / "sustain.lua", bodies, headers, 2)
        r = wrk.run(url=url, script=script, target="intake-sustained", concurrency=32,
                    duration_s=args.sustain, threads=2, server_pid=intake_proc.pid,
                    rss_samples=samples)  # fmt: skip
        first = samples[0][1] if samples else r.rss_before_mib
        sustained = {
            "result": r.as_dict(),
            "rss_samples": samples,
            "rss_growth_pct": round(100 * (r.rss_after_mib - first) / first, 1) if first else None,
        }
        print(
            f"  sustained c=32 for {args.sustain:.0f} s: {r.accepted_per_s:.1f} accepted/s, "
            f"p99 {r.p99_ms:.1f} ms; RSS {first:.0f} MiB at 10 s -> {r.rss_after_mib:.0f} MiB "
            f"({sustained['rss_growth_pct']} %); load average {r.loadavg_after[0]:.2f}",
            flush=True,
        )
    relay = outbox_drain(data / "intake.db", timeout_s=10 if args.quick else 60)
    procs.stop_all()
    return {
        "figure_set": "intake-vs-ceiling-wrk",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "config": {
            "load_generator": subprocess.run(
                [wrk.wrk_binary(), "-v"], capture_output=True, text=True
            ).stdout.splitlines()[0:1],  # fmt: skip
            "duration_s_per_level": args.duration,
            "warmup_s": args.warmup,
            "concurrency_levels": args.levels,
            "quick": args.quick,
            "anonymous_share": ANONYMOUS_SHARE,
            "idempotency_keys": "unique per request (wrk Lua script)",
            "auth": "bearer token for vera on both targets",
            "intake_env": {
                "ALAC_RUN_WORKERS": "true",
                "ALAC_LOG_LEVEL": "WARNING",
                "database": "SQLite (embedded)",
            },  # fmt: skip
        },
        "results": [r.as_dict() for r in ceiling + intake + full],
        "intake_rss_at_start_mib": round(rss_start, 1),
        "sustained": sustained,
        "intake_relay": relay,
        "_results": ceiling + intake + full,
    }


def profile_summary(path: Path, top: int = 25, of: str = "intake's threads") -> str:
    """The functions most often on the stack (inclusive share of samples) in py-spy's raw
    output (one collapsed stack per line, then its sample count), idle threads left out."""
    totals: dict[str, int] = {}
    samples = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        n = int(count)
        samples += n
        for frame in set(frames):
            name = frame.split(" (")[0]
            where = frame.rsplit("/", 1)[-1].rstrip(")") if "(" in frame else ""
            key = f"{name} ({where.split(':')[0]})"
            totals[key] = totals.get(key, 0) + n
    lines = [f"py-spy: {samples} samples of {of} (active ones only, non-blocking)"]
    for key, n in sorted(totals.items(), key=lambda kv: -kv[1])[:top]:
        lines.append(f"  {100 * n / max(samples, 1):5.1f} %  {key}")
    return "\n".join(lines)


def _ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "-"
    return f"{a / b:.4g}"


def table(results: list[wrk.WrkResult]) -> str:
    ceiling = {r.concurrency: r for r in results if r.target == "ceiling"}
    head = (
        f"{'target':<12} {'c':>3} {'accepted/s':>10} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'p99.9 ms':>9} {'x ceil p99':>10} {'CPU ms/req':>10} {'x ceil':>8} "
        f"{'RSS MiB':>11} {'load1':>5}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        c = ceiling.get(r.concurrency)
        lines.append(
            f"{r.target:<12} {r.concurrency:>3} {r.accepted_per_s:>10.1f} "
            f"{_ratio(r.accepted_per_s, c.accepted_per_s if c else None):>7} "
            f"{r.p50_ms:>8.1f} {r.p99_ms:>8.1f} {r.p999_ms:>9.1f} "
            f"{_ratio(r.p99_ms, c.p99_ms if c else None):>10} "
            f"{r.server_cpu_ms_per_accepted or 0:>10.3f} "
            f"{_ratio(r.server_cpu_ms_per_accepted, c.server_cpu_ms_per_accepted if c else None):>8} "
            f"{r.rss_before_mib:>5.0f}->{r.rss_after_mib:<5.0f} {r.loadavg_after[0]:>5.2f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        wrk.wrk_binary()
    except RuntimeError as exc:
        print(f"bench: {exc}", file=sys.stderr)
        return 2
    data = Path(tempfile.mkdtemp(prefix="alac-bench-native-"))
    (data / "logs").mkdir()
    m = report.machine()
    print(
        f"ALAC bench (wrk): intake vs ceiling on {m['cpus_usable']} CPUs "
        f"({m['cpu_model'] or 'unknown CPU'}), Python {m['python']}, load average "
        f"{m['loadavg'][0]:.2f}; wrk runs on the same machine.",
        flush=True,
    )
    try:
        with Processes(data / "logs") as procs:
            document = bench(args, data, procs)
    except KeyboardInterrupt:
        print("interrupted; every process stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one clear line, processes already stopped
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"data and logs kept in {data}", flush=True)
        else:
            shutil.rmtree(data, ignore_errors=True)
    results: list[wrk.WrkResult] = document.pop("_results")
    document["machine"]["loadavg_at_start"] = m["loadavg"]
    print()
    print("ratio = accepted/s over the ceiling's at the same concurrency; x ceil = times the")
    print("ceiling's figure; CPU = the server process's user+system time per accepted request.")
    print(table(results))
    relay = document["intake_relay"]
    print(
        f"relay: {relay['pending_when_load_stopped']} outbox rows unpublished at load stop, "
        + (
            f"all published {relay['drain_s']:.1f} s later"
            if relay["drain_s"] is not None
            else f"{relay['pending_at_end']} still pending"
        )  # fmt: skip
        + f"; {relay['complaints_stored']} complaints stored ({relay['anonymous_stored']} "
        "anonymous, warm-up included)"
    )
    report.write_json(args.output, document)
    print(f"JSON written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
