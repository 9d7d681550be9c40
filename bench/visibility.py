"""`python -m bench.visibility`: from intake's answer to a complaint until the case exists,
search finds it and analytics counts it, on a running `alac up` platform (embedded profile).

Complaints are sent at a fixed rate (default 20/s, 40 % anonymous), each with a crux holding
a unique word. After each 201 answer three watchers ask, every `--every` seconds, until:
- cases: `GET /v1/cases/by-complaint/{id}` answers 200 (as vera, the volunteer who filed it);
- search: `GET /v1/search?q=<the unique word>` finds it (as vera);
- analytics: `GET /v1/stats/summary?from=<received_at>&to=<received_at + 1 ms>&office=almaty` counts
  it (as tamara, the tenant admin, who sees small counts).
The figures' resolution is the polling interval, which grows by 30 % per poll (up to 20
times the first) while the complaint is not yet visible. The polling itself is load on the platform
(each pending complaint costs three GETs per interval), as a client waiting for it would be.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import string
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.idle import HOST, free_base, wait_ready
from bench.payloads import complaint_bodies
from bench.procs import BIN, REPO, Processes

REALM = "alac-dev"


def token(issuer: str, user: str) -> str:
    r = httpx.post(
        f"{issuer}/protocol/openid-connect/token",
        data={"grant_type": "password", "client_id": "alac-cli", "username": user,
              "password": "demo" + user},
        timeout=30,
    )  # fmt: skip
    r.raise_for_status()
    return str(r.json()["access_token"])


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def watch(
    client: httpx.AsyncClient, url: str, params: dict | None, headers: dict, done, every: float,
    timeout_s: float,
) -> float | None:  # fmt: skip
    started = time.perf_counter()
    wait = every
    while time.perf_counter() - started < timeout_s:
        try:
            r = await client.get(url, params=params, headers=headers)
        except httpx.TransportError:  # a kept-alive connection the server closed: ask again
            continue
        if done(r):
            return time.perf_counter() - started
        await asyncio.sleep(wait)
        # Back off (up to 20 times the first interval) so that slow visibility does not
        # turn into a flood of polls that slows the platform down further.
        wait = min(wait * 1.3, every * 20)
    return None


async def drive(base: int, rate: float, seconds: float, every: float) -> dict[str, Any]:
    issuer = f"http://{HOST}:{base + 90}/realms/{REALM}"
    vera = {"Authorization": f"Bearer {token(issuer, 'vera')}"}
    tamara = {"Authorization": f"Bearer {token(issuer, 'tamara')}"}
    intake, cases = f"http://{HOST}:{base + 1}", f"http://{HOST}:{base + 2}"
    analytics, search = f"http://{HOST}:{base + 3}", f"http://{HOST}:{base + 4}"
    count = max(1, round(rate * seconds))
    bodies = complaint_bodies(count, seed=2028)
    rng = random.Random()
    latencies: dict[str, list[float]] = {"cases": [], "search": [], "analytics": []}
    missing = dict.fromkeys(latencies, 0)
    errors: list[str] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def one(body: dict[str, Any]) -> None:
            word = "".join(rng.choice(string.ascii_lowercase) for _ in range(12))
            body = {**body, "crux": f"{body['crux']} {word}"}
            try:
                r = await client.post(f"{intake}/v1/complaints", json=body, headers=vera)
            except httpx.TransportError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.text[:200]}")
                return
            answer = r.json()
            received = datetime.fromisoformat(answer["received_at"])
            window = {"from": received.isoformat(), "office": "almaty",
                      "to": (received + timedelta(milliseconds=1)).isoformat()}  # fmt: skip
            found = await asyncio.gather(
                watch(client, f"{cases}/v1/cases/by-complaint/{answer['id']}", None, vera,
                      lambda r: r.status_code == 200, every, 60),
                watch(client, f"{search}/v1/search", {"q": word}, vera,
                      lambda r: r.status_code == 200 and bool(r.json()["items"]), every, 60),
                watch(client, f"{analytics}/v1/stats/summary", window, tamara,
                      lambda r: r.status_code == 200 and (r.json()["total"] or 0) >= 1, every, 60),
            )  # fmt: skip
            for name, seconds_taken in zip(latencies, found, strict=True):
                if seconds_taken is None:
                    missing[name] += 1
                else:
                    latencies[name].append(seconds_taken * 1000)

        tasks = []
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return {
        "rate_per_s": rate,
        "complaints": count,
        "poll_every_ms": every * 1000,
        "errors": errors[:5],
        "error_count": len(errors),
        "not_visible_within_60_s": missing,
        "ms": {
            name: {
                "p50": round(statistics.median(values), 1) if values else None,
                "p99": percentile(values, 99) and round(percentile(values, 99) or 0, 1),
                "max": round(max(values), 1) if values else None,
                "n": len(values),
            }
            for name, values in latencies.items()
        },
    }


def run(rate: float, seconds: float, every: float, keep: bool) -> dict[str, Any]:
    data = Path(tempfile.mkdtemp(prefix="alac-bench-visibility-"))
    (data / "logs").mkdir()
    base = free_base()
    env = dict(os.environ)
    env.update(ALAC_LOG_LEVEL="WARNING", PYTHONPATH=os.pathsep.join(
        filter(None, [str(REPO), env.get("PYTHONPATH")])))  # fmt: skip
    try:
        with Processes(data / "logs") as procs:
            args = [str(BIN / "alac"), "up", "--data", str(data / "platform"),
                    "--port-base", str(base), "--no-demo"]  # fmt: skip
            procs.spawn("platform", args, env)
            wait_ready(base, procs, timeout_s=300)
            load_before = os.getloadavg()[0]
            result = asyncio.run(drive(base, rate, seconds, every))
            result["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            return result
    finally:
        if keep:
            print(f"data and logs kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.visibility", description=__doc__)
    p.add_argument("--rate", type=float, default=20.0, help="complaints per second (20)")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to send (30)")
    p.add_argument("--every", type=float, default=0.05, help="polling interval in s (0.05)")
    p.add_argument("--keep", action="store_true")
    args = p.parse_args(argv)
    try:
        r = run(args.rate, args.seconds, args.every, args.keep)
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        print(f"bench.visibility failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"visibility at {r['rate_per_s']:g} complaints/s, {r['complaints']} complaints, "
          f"polled every {r['poll_every_ms']:.0f} ms (load average {r['loadavg'][0]:.2f} -> "
          f"{r['loadavg'][1]:.2f}); {r['error_count']} POSTs not accepted")  # fmt: skip
    for name, m in r["ms"].items():
        print(f"  POST answer -> {name:<9}: p50 {m['p50']} ms, p99 {m['p99']} ms, max "
              f"{m['max']} ms ({m['n']} seen, {r['not_visible_within_60_s'][name]} not within 60 s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
