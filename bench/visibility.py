"""`python -m bench.visibility`: from intake's answer to a complaint until the case exists,
search finds it and analytics counts it, on a running `alac up` platform (embedded profile).

Complaints are sent at a fixed rate (default 20/s, 40 % anonymous), each with a crux holding
a unique word. Each read model has one watcher that, every `--every` seconds, asks about all
the complaints it has not shown yet, in batches, one request at a time:
- cases: `GET /v1/cases` (vera's office, newest first, as many pages as reach back to the
  oldest complaint still waited for): the case exists when it is listed, as
  `GET /v1/cases/by-complaint/{id}` would answer 200 (same rows, same visibility);
- search: `GET /v1/search?q=w1 OR w2 ...` (the unique words, 25 per request, as vera): found
  when a hit has the complaint's id;
- analytics: `GET /v1/stats/summary?from=..&to=..&office=almaty` (as tamara, the tenant
  admin, who sees small counts) over the window of the complaints waited for; a window whose
  total is what was sent in it shows them all, one short by as many as it has waiting shows
  none, otherwise it is halved (`settle_by_counts`).
A complaint's figure is the time from its POST answer to the answer that first shows it. The
resolution is one interval plus that request's own time. The polling costs the platform about
one request per read model per interval whatever the number waiting (a few more while a
backlog exists), so it does not grow into the load it measures: the bench of issue #15's
first runs polled each waiting complaint with three GETs, hundreds per second at 20/s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import string
import subprocess
import sys
import tempfile
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from bench.idle import HOST, TICKS, cpu_and_rss, descendants, free_base, name_of, wait_ready
from bench.native import profile_summary
from bench.payloads import complaint_bodies
from bench.procs import BIN, REPO, Processes

REALM = "alac-dev"
RESULTS = Path(__file__).resolve().parent / "results" / "visibility.json"
SEARCH_TERMS = 25  # words per query: 25 x "w OR " stays under q's 500 characters
CASES_PAGE = 100
WAIT_S = 60.0  # a complaint not shown within this long is counted as not visible


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


@dataclass(frozen=True)
class Sent:
    id: str
    word: str
    received: datetime  # intake's received_at
    answered: float  # perf_counter() when the 201 arrived


Window = tuple[datetime, datetime]  # [from, to)


def window_of(items: Sequence[Sent]) -> Window:
    return items[0].received, items[-1].received + timedelta(microseconds=1)


async def settle_by_counts(
    waiting: Sequence[Sent],
    sent_in: Callable[[Window], int],
    count: Callable[[Window], Awaitable[int]],
    budget: int,
) -> tuple[set[str], int]:
    """(ids of `waiting` that are counted, requests made): `waiting` sorted by `received`,
    `sent_in` says how many complaints were sent in a window (counted or not), `count` asks
    the read model. A window missing none shows every complaint waited for in it; one missing
    as many as it has waiting shows none of them; any other is halved. At most `budget`
    requests; what is left unsettled is asked about again next time."""
    found: set[str] = set()
    asked = 0
    todo = [list(waiting)] if waiting else []
    while todo and asked < budget:
        part = todo.pop()
        window = window_of(part)
        missing = sent_in(window) - await count(window)
        asked += 1
        if missing <= 0:
            found.update(s.id for s in part)
        elif missing < len(part) and len(part) > 1:
            half = len(part) // 2
            todo.extend([part[half:], part[:half]])
    return found, asked


@dataclass
class Watcher:
    """One read model: the complaints it has not shown yet and what it took for the others."""

    name: str
    waiting: dict[str, Sent] = field(default_factory=dict)
    ms: list[float] = field(default_factory=list)
    not_visible: int = 0
    requests: int = 0

    async def run(
        self, check: Callable[[list[Sent]], Awaitable[set[str]]], every: float,
        sending: asyncio.Event,
    ) -> None:  # fmt: skip
        while sending.is_set() or self.waiting:
            tick = time.perf_counter()
            if self.waiting:
                found = await check(sorted(self.waiting.values(), key=lambda s: s.received))
                now = time.perf_counter()
                for complaint_id in found:
                    sent = self.waiting.pop(complaint_id, None)
                    if sent is not None:
                        self.ms.append((now - sent.answered) * 1000)
                for complaint_id, sent in list(self.waiting.items()):
                    if now - sent.answered > WAIT_S:
                        del self.waiting[complaint_id]
                        self.not_visible += 1
            await asyncio.sleep(max(0.0, tick + every - time.perf_counter()))


async def get(client: httpx.AsyncClient, url: str, **kwargs: Any) -> httpx.Response:
    for _ in range(3):
        try:
            r = await client.get(url, **kwargs)
        except httpx.TransportError:  # a kept-alive connection the server closed: ask again
            continue
        r.raise_for_status()
        return r
    raise RuntimeError(f"{url} did not answer")


#: The threads whose CPU is shown apart (OS thread names: alac_kernel.runtime.name_this_thread):
#: the consumer groups that make the three read models, and every service's outbox relay.
THREADS = ("cases", "search", "analytics", "intake-relay", "cases-relay")


def platform_cpu(root: int) -> dict[str, float]:
    """CPU seconds (user + system) of every process of the platform, by name, and of the
    threads named in THREADS, by thread name."""
    out: dict[str, float] = {}
    for pid in descendants(root):
        measured = cpu_and_rss(pid)
        if measured is None:
            continue
        name = name_of(pid)
        out[name] = out.get(name, 0.0) + measured[0]
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                thread = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if thread in THREADS:
                key = f"thread {thread}"
                out[key] = out.get(key, 0.0) + (int(fields[11]) + int(fields[12])) / TICKS
    return out


async def drive(base: int, rate: float, seconds: float, every: float) -> dict[str, Any]:
    issuer = f"http://{HOST}:{base + 90}/realms/{REALM}"
    vera = {"Authorization": f"Bearer {token(issuer, 'vera')}"}
    tamara = {"Authorization": f"Bearer {token(issuer, 'tamara')}"}
    intake, cases = f"http://{HOST}:{base + 1}", f"http://{HOST}:{base + 2}"
    analytics, search = f"http://{HOST}:{base + 3}", f"http://{HOST}:{base + 4}"
    count = max(1, round(rate * seconds))
    bodies = complaint_bodies(count, seed=2028)
    rng = random.Random()
    watchers = {name: Watcher(name) for name in ("cases", "search", "analytics")}
    every_received: list[datetime] = []  # sorted: what analytics should count, per window
    errors: list[str] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:

        async def cases_listed(waiting: list[Sent]) -> set[str]:
            wanted = {s.id for s in waiting}
            oldest = waiting[0].received
            found: set[str] = set()
            # Pages about as long as what is waited for: a short JSON answer while the
            # platform keeps up, more pages only while it lags.
            page_size = min(CASES_PAGE, 10 + 2 * len(waiting))
            params: dict[str, Any] = {"limit": page_size}
            while True:
                page = (await get(client, f"{cases}/v1/cases", params=params, headers=vera)).json()
                watchers["cases"].requests += 1
                found |= {c["complaint_id"] for c in page["items"]} & wanted
                # A case is opened after its complaint was received: older pages hold none
                # of the complaints still waited for.
                if not page["next_before"] or datetime.fromisoformat(page["next_before"]) < oldest:
                    return found
                params = {"limit": page_size, "before": page["next_before"],
                          "before_id": page["next_before_id"]}  # fmt: skip

        async def search_found(waiting: list[Sent]) -> set[str]:
            found: set[str] = set()
            for i in range(0, len(waiting), SEARCH_TERMS):
                chunk = waiting[i : i + SEARCH_TERMS]
                q = " OR ".join(s.word for s in chunk)
                r = await get(client, f"{search}/v1/search", params={"q": q, "limit": 100},
                              headers=vera)  # fmt: skip
                watchers["search"].requests += 1
                found |= {hit["id"] for hit in r.json()["items"]}  # a hit's id is its complaint's
            return found

        def sent_in(window: Window) -> int:
            return bisect_left(every_received, window[1]) - bisect_left(every_received, window[0])

        async def counted_in(window: Window) -> int:
            params = {"from": window[0].isoformat(), "to": window[1].isoformat(),
                      "office": "almaty"}  # fmt: skip
            r = await get(client, f"{analytics}/v1/stats/summary", params=params, headers=tamara)
            return int(r.json()["total"] or 0)

        async def analytics_counted(waiting: list[Sent]) -> set[str]:
            found, asked = await settle_by_counts(waiting, sent_in, counted_in, budget=16)
            watchers["analytics"].requests += asked
            return found

        async def one(body: dict[str, Any]) -> None:
            word = "".join(rng.choice(string.ascii_lowercase) for _ in range(12))
            body = {**body, "crux": f"{body['crux']} {word}"}
            try:
                r = await client.post(f"{intake}/v1/complaints", json=body, headers=vera)
            except httpx.TransportError as exc:
                errors.append(f"{type(exc).__name__}: {exc}")
                return
            answered = time.perf_counter()
            if r.status_code != 201:
                errors.append(f"{r.status_code} {r.text[:200]}")
                return
            answer = r.json()
            sent = Sent(answer["id"], word, datetime.fromisoformat(answer["received_at"]), answered)
            every_received.insert(bisect_left(every_received, sent.received), sent.received)
            for w in watchers.values():
                w.waiting[sent.id] = sent

        sending = asyncio.Event()
        sending.set()
        checks = {"cases": cases_listed, "search": search_found, "analytics": analytics_counted}
        watching = [
            asyncio.create_task(w.run(checks[name], every, sending)) for name, w in watchers.items()
        ]
        tasks = []
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
        sending.clear()
        await asyncio.gather(*watching)
    return {
        "rate_per_s": rate,
        "complaints": count,
        "accepted": len(every_received),
        "poll_every_ms": every * 1000,
        "errors": errors[:5],
        "error_count": len(errors),
        "not_visible_within_60_s": {n: w.not_visible for n, w in watchers.items()},
        "poll_requests": {n: w.requests for n, w in watchers.items()},
        "ms": {
            name: {
                "p50": round(statistics.median(w.ms), 1) if w.ms else None,
                "p99": percentile(w.ms, 99) and round(percentile(w.ms, 99) or 0, 1),
                "max": round(max(w.ms), 1) if w.ms else None,
                "n": len(w.ms),
            }
            for name, w in watchers.items()
        },
    }


def thread_roles(path: Path) -> dict[str, float]:
    """Share of py-spy's samples (raw output) by what the thread was doing: applying events
    (the consumers), the outbox relay, answering requests, anything else."""
    roles: dict[str, int] = {}
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        if "run_forever (alac_kernel/consumer.py" in stack:
            role = "consumers"
        elif "run_forever (alac_kernel/outbox.py" in stack:
            role = "outbox relay"
        elif "anyio" in stack or "starlette" in stack or "uvicorn" in stack:
            role = "requests"
        else:
            role = "other"
        roles[role] = roles.get(role, 0) + int(count)
    total = max(1, sum(roles.values()))
    return {role: round(100 * n / total, 1) for role, n in sorted(roles.items())}


def start_profiles(root: int, folder: Path) -> list[tuple[str, Path, subprocess.Popen[bytes]]]:
    """py-spy (non-blocking) on every service process of the platform, one file each."""
    folder.mkdir(parents=True, exist_ok=True)
    spies = []
    for pid in descendants(root):
        name = name_of(pid)
        if " serve " not in f" {name} ":
            continue
        path = folder / (name.rsplit(" ", 1)[-1] + ".txt")
        spy = subprocess.Popen(
            [str(BIN / "py-spy"), "record", "--pid", str(pid), "--nonblocking", "--rate", "50",
             "--format", "raw", "--output", str(path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        spies.append((name, path, spy))
    return spies


def stop_profiles(spies: list[tuple[str, Path, subprocess.Popen[bytes]]]) -> None:
    for _, _, spy in spies:
        spy.send_signal(signal.SIGINT)
    for name, path, spy in spies:
        spy.wait(timeout=60)
        if path.exists():
            print(f"{name}: samples by thread role {thread_roles(path)}")
            print(profile_summary(path, top=15, of=name))


def run(rate: float, seconds: float, every: float, keep: bool,
        profile: Path | None = None) -> dict[str, Any]:  # fmt: skip
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
            platform = procs.spawn("platform", args, env)
            wait_ready(base, procs, timeout_s=300)
            spies = start_profiles(platform.pid, profile) if profile else []
            load_before = os.getloadavg()[0]
            cpu_before, own_before = platform_cpu(platform.pid), time.process_time()
            result = asyncio.run(drive(base, rate, seconds, every))
            cpu_after, own_after = platform_cpu(platform.pid), time.process_time()
            result["loadavg"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
            stop_profiles(spies)
            accepted = max(1, result["accepted"])
            result["cpu_ms_per_complaint"] = {
                name: round((cpu_after[name] - cpu_before.get(name, 0.0)) * 1000 / accepted, 1)
                for name in sorted(cpu_after)
            }
            result["cpu_ms_per_complaint"]["the bench itself"] = round(
                (own_after - own_before) * 1000 / accepted, 1
            )
            # A read model's consumer thread per complaint it showed (a consumer that fell
            # behind has applied fewer than were accepted).
            result["consumer_cpu_ms_per_complaint_shown"] = {
                group: round((cpu_after.get(f"thread {group}", 0.0)
                              - cpu_before.get(f"thread {group}", 0.0)) * 1000 / shown, 1)
                for group, m in result["ms"].items() if (shown := m["n"])
            }  # fmt: skip
            return result
    finally:
        if keep:
            print(f"data and logs kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.visibility", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    p.add_argument("--rate", type=float, default=20.0, help="complaints per second (20)")
    p.add_argument("--seconds", type=float, default=30.0, help="how long to send (30)")
    p.add_argument("--every", type=float, default=0.05, help="polling interval in s (0.05)")
    p.add_argument("--keep", action="store_true")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="record every service with py-spy (non-blocking) into DIR and print "
                   "where each one's time went")  # fmt: skip
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    args = p.parse_args(argv)
    try:
        r = run(args.rate, args.seconds, args.every, args.keep, args.profile)
    except (RuntimeError, OSError, httpx.HTTPError) as exc:
        print(f"bench.visibility failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(f"visibility at {r['rate_per_s']:g} complaints/s, {r['complaints']} complaints, "
          f"polled every {r['poll_every_ms']:.0f} ms (load average {r['loadavg'][0]:.2f} -> "
          f"{r['loadavg'][1]:.2f}); {r['error_count']} POSTs not accepted")  # fmt: skip
    for name, m in r["ms"].items():
        print(f"  POST answer -> {name:<9}: p50 {m['p50']} ms, p99 {m['p99']} ms, max "
              f"{m['max']} ms ({m['n']} seen, {r['not_visible_within_60_s'][name]} not within "
              f"60 s; {r['poll_requests'][name]} polling requests)")  # fmt: skip
    print("  CPU per accepted complaint: " + ", ".join(
        f"{name} {ms} ms" for name, ms in r["cpu_ms_per_complaint"].items()))  # fmt: skip
    print("  consumer thread CPU per complaint shown: " + ", ".join(
        f"{group} {ms} ms" for group, ms in r["consumer_cpu_ms_per_complaint_shown"].items()))  # fmt: skip
    for e in r["errors"]:
        print(f"  error: {e}")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(r, indent=2, default=str) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
