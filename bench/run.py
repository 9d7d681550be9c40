"""`python -m bench`: figure set 1, intake against a hello-world ceiling.

1. Start the development token issuer (`alac dev-issuer`) on a free loopback port and get a
   token for the demo volunteer vera (password grant, client alac-cli).
2. Ceiling: serve bench/ceiling.py with uvicorn in its own process, warm it up, then measure
   each concurrency level; stop it.
3. Intake: `alac migrate intake`, then `alac serve intake` with ALAC_RUN_WORKERS=true (the outbox
   relay runs inside the process, as in production) and ALAC_LOG_LEVEL=WARNING; warm it up,
   measure each level with the same bodies, token and load generator; note how long the relay
   needs to publish what is left in the outbox; check the stored row count; stop it.
4. Print the table and the ratios; write bench/results/latest.json.

Everything lives in a temporary data folder that is removed at the end (unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from bench import micro, report
from bench.load import LevelResult, Load
from bench.payloads import ANONYMOUS_SHARE, complaint_bodies, full_complaint_bodies
from bench.procs import BIN, REPO, Processes, distinct_ports, service_env

HOST = "127.0.0.1"
REALM = "alac-dev"
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench", description="Intake throughput against a hello-world ceiling."
    )
    p.add_argument(
        "--quick", action="store_true", help="a very short run (smoke test; figures are rough)"
    )
    p.add_argument(
        "--requests",
        type=int,
        metavar="N",
        help="N measured requests per level instead of a fixed duration",
    )
    p.add_argument(
        "--duration", type=float, metavar="S", help="seconds per level (default 10, --quick 2)"
    )
    p.add_argument(
        "--warmup",
        type=float,
        metavar="S",
        help="warm-up seconds per target (default 3, --quick 0.5)",
    )
    p.add_argument(
        "--concurrency", default="1,8,32", help="comma-separated levels (default 1,8,32)"
    )
    p.add_argument(
        "--output",
        type=Path,
        default=RESULTS,
        help=f"JSON output (default {RESULTS.relative_to(REPO)})",
    )
    p.add_argument("--keep", action="store_true", help="keep the temporary data folder and logs")
    args = p.parse_args(argv)
    args.levels = [int(x) for x in args.concurrency.split(",") if x.strip()]
    if not args.levels or min(args.levels) < 1:
        p.error("--concurrency needs positive integers")
    if args.requests is not None and args.requests < 1:
        p.error("--requests must be at least 1")
    if args.duration is None:
        args.duration = 2.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 0.5 if args.quick else 3.0
    return args


def fetch_token(issuer: str) -> str:
    response = httpx.post(
        f"{issuer}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "alac-cli",
            "username": "vera",
            "password": "demovera",
        },
        timeout=10,
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


async def measure(load: Load, target: str, args: argparse.Namespace, pid: int) -> list[LevelResult]:
    if args.requests is not None:
        warm = await load.warm_up(8, requests=max(8, args.requests))
    else:
        warm = await load.warm_up(8, duration_s=args.warmup)
    print(f"  {target}: warm-up {warm.requests} requests, {warm.errors} errors", flush=True)
    results = []
    for level in args.levels:
        if args.requests is not None:
            r = await load.run(target, level, requests=args.requests, server_pid=pid)
        else:
            r = await load.run(target, level, duration_s=args.duration, server_pid=pid)
        print(
            f"  {target} c={level}: {r.accepted_per_s:.1f} accepted/s, p50 {r.p50_ms:.1f} ms, "
            f"p99 {r.p99_ms:.1f} ms, {r.errors} errors; CPU server {r.server_cpu_pct}% "
            f"client {r.client_cpu_pct}% (100% = one core)",
            flush=True,
        )
        results.append(r)
    return results


def outbox_drain(db: Path, timeout_s: float) -> dict[str, Any]:
    """How many outbox rows were still unpublished when the load stopped, and how long the
    relay then took to publish them."""

    def pending() -> int:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            return int(
                conn.execute("SELECT count(*) FROM outbox WHERE state != 'published'").fetchone()[0]
            )

    started = time.perf_counter()
    at_end = left = pending()
    while left and time.perf_counter() - started < timeout_s:
        time.sleep(0.1)
        left = pending()
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        stored = int(conn.execute("SELECT count(*) FROM complaints").fetchone()[0])
        anonymous = int(
            conn.execute("SELECT count(*) FROM complaints WHERE anonymous").fetchone()[0]
        )
    return {
        "pending_when_load_stopped": at_end,
        "pending_at_end": left,
        "drain_s": round(time.perf_counter() - started, 3) if not left else None,
        "complaints_stored": stored,
        "anonymous_stored": anonymous,
    }


def bench(args: argparse.Namespace, data: Path, procs: Processes) -> dict[str, Any]:
    issuer_port, ceiling_port, intake_port = distinct_ports(3)
    issuer = f"http://{HOST}:{issuer_port}/realms/{REALM}"
    env = service_env(data, issuer)
    alac = str(BIN / "alac")

    print(f"issuer on port {issuer_port}", flush=True)
    procs.spawn(
        "issuer",
        [alac, "dev-issuer", "--data", str(data), "--port", str(issuer_port), "--host", HOST],
        env,
    )
    procs.wait_http("issuer", f"{issuer}/.well-known/openid-configuration")
    headers = {"Authorization": f"Bearer {fetch_token(issuer)}"}
    bodies = complaint_bodies(1000)
    full_bodies = full_complaint_bodies(1000)

    print(f"ceiling (bench/ceiling.py) on port {ceiling_port}", flush=True)
    ceiling_proc = procs.spawn(
        "ceiling",
        [sys.executable, "-m", "bench.ceiling", "--host", HOST, "--port", str(ceiling_port)],
        env,
    )
    procs.wait_http("ceiling", f"http://{HOST}:{ceiling_port}/healthz")
    ceiling = asyncio.run(
        measure(
            Load(f"http://{HOST}:{ceiling_port}/v1/complaints", headers, bodies),
            "ceiling",
            args,
            ceiling_proc.pid,
        )
    )
    procs.stop("ceiling")

    migrated = subprocess.run(
        [alac, "migrate", "intake"], env=env, cwd=REPO, capture_output=True, text=True
    )
    if migrated.returncode != 0:
        raise RuntimeError(f"alac migrate intake failed:\n{migrated.stdout}{migrated.stderr}")
    print(f"intake (alac serve intake) on port {intake_port}", flush=True)
    intake_proc = procs.spawn(
        "intake", [alac, "serve", "intake", "--host", HOST, "--port", str(intake_port)], env
    )
    procs.wait_http("intake", f"http://{HOST}:{intake_port}/readyz")
    intake = asyncio.run(
        measure(
            Load(f"http://{HOST}:{intake_port}/v1/complaints", headers, bodies),
            "intake",
            args,
            intake_proc.pid,
        )
    )
    # The `full` variant on the same process: every field of the record, contact details on
    # named complaints (vault encryption + pseudonym HMAC), 40 % anonymous.
    intake_full = asyncio.run(
        measure(
            Load(f"http://{HOST}:{intake_port}/v1/complaints", headers, full_bodies),
            "intake-full",
            args,
            intake_proc.pid,
        )
    )
    relay = outbox_drain(data / "intake.db", timeout_s=10 if args.quick else 60)
    procs.stop("intake")
    procs.stop_all()

    results = ceiling + intake + intake_full
    scrypt = micro.scrypt_receipt_ms(5 if args.quick else 15)
    return {
        "figure_set": "intake-vs-ceiling",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),  # its loadavg is at the end of the run
        "config": {
            "mode": "requests" if args.requests is not None else "duration",
            "requests_per_level": args.requests,
            "duration_s_per_level": None if args.requests is not None else args.duration,
            "warmup_s": None if args.requests is not None else args.warmup,
            "concurrency_levels": args.levels,
            "quick": args.quick,
            "anonymous_share": ANONYMOUS_SHARE,
            "body": "hotline, education, Russian text; 40% anonymous; every complaint gets a "
            "receipt code (scrypt hash)",
            "body_full": "intake-full: every field of the record, contact details (vault, "
            "AES-GCM) on the 60% named complaints",
            "auth": "bearer token for vera (password grant, client alac-cli) on both targets",
            "intake_env": {
                "ALAC_RUN_WORKERS": "true",
                "ALAC_LOG_LEVEL": "WARNING",
                "database": "SQLite (embedded)",
            },
        },
        "results": [r.as_dict() for r in results],
        "ratios": {str(k): v for k, v in report.ratios(results).items()},
        "cpu_ratios": {str(k): v for k, v in report.cpu_ratios(results).items()},
        "ratios_full": {str(k): v for k, v in report.ratios(results, "intake-full").items()},
        "cpu_ratios_full": {
            str(k): v for k, v in report.cpu_ratios(results, "intake-full").items()
        },
        "intake_relay": relay,
        "scrypt_receipt_hash": scrypt,
        "_results": results,
    }


def _load1(m: dict[str, Any]) -> str:
    return f"{m['loadavg'][0]:.2f}" if m.get("loadavg") else "?"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    def _terminate(signum: int, frame: object) -> None:
        # Treat SIGTERM like Ctrl-C: inside asyncio.run the current SIGINT handler is the
        # runner's, which cancels the load cleanly; elsewhere it raises KeyboardInterrupt.
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    # Ctrl-C must work even when started from a shell that ignores SIGINT for background jobs.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _terminate)
    data = Path(tempfile.mkdtemp(prefix="alac-bench-"))
    (data / "logs").mkdir()
    m = report.machine()
    print(
        f"ALAC bench: intake vs ceiling on {m['cpus_usable']} CPUs "
        f"({m['cpu_model'] or 'unknown CPU'}), "
        f"Python {m['python']}, load average {_load1(m)}; "
        "the load generator runs on the same machine.",
        flush=True,
    )
    try:
        with Processes(data / "logs") as procs:
            document = bench(args, data, procs)
    except KeyboardInterrupt:
        print("interrupted; every process stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - report and exit non-zero, processes already stopped
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"data and logs kept in {data}", flush=True)
        else:
            shutil.rmtree(data, ignore_errors=True)

    results: list[LevelResult] = document.pop("_results")
    document["machine"]["loadavg_at_start"] = m["loadavg"]
    relay = document["intake_relay"]
    print()
    print(report.table(results))
    print()
    print(report.ratio_lines(results))
    print(report.ratio_lines(results, "intake-full"))
    print(
        f"relay: {relay['pending_when_load_stopped']} outbox rows unpublished at load stop, "
        + (
            f"all published {relay['drain_s']:.1f} s later"
            if relay["drain_s"] is not None
            else f"{relay['pending_at_end']} still pending"
        )
        + f"; {relay['complaints_stored']} complaints stored "
        + f"({relay['anonymous_stored']} anonymous, warm-up included)"
    )
    scrypt = document["scrypt_receipt_hash"]
    print(
        f"scrypt receipt hash (every complaint): "
        f"median {scrypt['median_ms']:.1f} ms each, "
        "measured in the bench process"
    )
    report.write_json(args.output, document)
    try:
        shown = args.output.resolve().relative_to(REPO)
    except ValueError:
        shown = args.output
    print(f"JSON written to {shown}")
    errors = sum(r.errors for r in results)
    if errors:
        print(f"note: {errors} requests were not accepted (see error_kinds in the JSON)")
    return 0
