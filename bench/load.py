"""The load generator: N concurrent asyncio workers, each with its own httpx.AsyncClient and
one keep-alive connection (a closed loop: a worker sends its next request as soon as the
previous one is answered).

One client per worker, not one shared client with N connections: httpcore's shared pool costs
grow with the number of connections (encode/httpx#3215); on this machine a shared pool of 32
fell to about a third of the throughput of 8, which would have made the ceiling collapse
because of the load generator, not the server.

Bodies are JSON-encoded once up front so the generator spends its CPU on HTTP, not on
serialising. Only 201 answers count as accepted; any other status or transport error is
counted separately, by kind. Latency percentiles are over the accepted requests.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx


@dataclass
class LevelResult:
    target: str
    concurrency: int
    requests: int  # measured requests sent (warm-up excluded)
    accepted: int  # 201 answers
    anonymous_sent: int
    elapsed_s: float
    accepted_per_s: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    errors: int
    error_kinds: dict[str, int] = field(default_factory=dict)
    server_cpu_pct: float | None = None  # CPU used by the server process (100 = one core)
    client_cpu_pct: float | None = None  # CPU used by the load generator (100 = one core)
    server_cpu_ms_per_accepted: float | None = None  # server CPU per 201, independent of the client

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an ascending list (0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-q * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


def process_cpu_s(pid: int) -> float | None:
    """User + system CPU seconds of a process, all its threads (Linux /proc)."""
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Load:
    def __init__(self, url: str, headers: dict[str, str], bodies: list[dict[str, Any]]) -> None:
        self.url = url
        self.headers = {**headers, "content-type": "application/json"}
        self.raw = [json.dumps(b, ensure_ascii=False).encode() for b in bodies]
        self.anonymous = [bool(b.get("anonymous")) for b in bodies]
        self._next = 0

    def _take(self) -> tuple[bytes, bool]:
        i = self._next % len(self.raw)
        self._next += 1
        return self.raw[i], self.anonymous[i]

    async def run(
        self,
        target: str,
        concurrency: int,
        *,
        requests: int | None = None,
        duration_s: float | None = None,
        server_pid: int | None = None,
    ) -> LevelResult:
        """Measure one level: `requests` requests in total, or as many as fit in `duration_s`."""
        if (requests is None) == (duration_s is None):
            raise ValueError("give exactly one of requests and duration_s")
        timeout = httpx.Timeout(120.0)
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        sent = anonymous_sent = 0
        clients = [
            httpx.AsyncClient(
                limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
                timeout=timeout,
                headers=self.headers,
            )
            for _ in range(concurrency)
        ]
        try:
            # open every connection before the clock starts (not recorded)
            await asyncio.gather(*(self._post(client) for client in clients))
            server_cpu0 = process_cpu_s(server_pid) if server_pid else None
            client_cpu0 = time.process_time()
            started = time.perf_counter()
            end = started + duration_s if duration_s is not None else None

            async def worker(client: httpx.AsyncClient) -> None:
                nonlocal sent, anonymous_sent
                while True:
                    if requests is not None:
                        if sent >= requests:
                            return
                    elif time.perf_counter() >= end:  # type: ignore[operator]
                        return
                    sent += 1
                    body, anon = self._take()
                    anonymous_sent += anon
                    t0 = time.perf_counter()
                    try:
                        response = await client.post(self.url, content=body)
                    except httpx.HTTPError as exc:
                        errors[type(exc).__name__] += 1
                        continue
                    dt = time.perf_counter() - t0
                    if response.status_code == 201:
                        latencies.append(dt)
                    else:
                        errors[f"HTTP {response.status_code}"] += 1

            await asyncio.gather(*(worker(client) for client in clients))
            elapsed = time.perf_counter() - started
            client_cpu = time.process_time() - client_cpu0
            server_cpu1 = process_cpu_s(server_pid) if server_pid else None
        finally:
            await asyncio.gather(*(client.aclose() for client in clients))
        server_cpu = (
            server_cpu1 - server_cpu0
            if server_cpu0 is not None and server_cpu1 is not None
            else None
        )
        latencies.sort()
        ms = [v * 1000 for v in latencies]
        return LevelResult(
            target=target,
            concurrency=concurrency,
            requests=sent,
            accepted=len(ms),
            anonymous_sent=anonymous_sent,
            elapsed_s=round(elapsed, 3),
            accepted_per_s=len(ms) / elapsed if elapsed > 0 else 0.0,
            p50_ms=percentile(ms, 50),
            p99_ms=percentile(ms, 99),
            mean_ms=sum(ms) / len(ms) if ms else 0.0,
            max_ms=ms[-1] if ms else 0.0,
            errors=sum(errors.values()),
            error_kinds=dict(errors),
            server_cpu_pct=round(100 * server_cpu / elapsed, 1)
            if server_cpu is not None and elapsed > 0
            else None,
            client_cpu_pct=round(100 * client_cpu / elapsed, 1) if elapsed > 0 else None,
            server_cpu_ms_per_accepted=(
                round(1000 * server_cpu / len(ms), 3) if server_cpu is not None and ms else None
            ),
        )

    async def warm_up(
        self, concurrency: int, *, requests: int | None = None, duration_s: float | None = None
    ) -> LevelResult:
        return await self.run("warm-up", concurrency, requests=requests, duration_s=duration_s)

    async def _post(self, client: httpx.AsyncClient) -> None:
        body, _ = self._take()
        try:
            await client.post(self.url, content=body)
        except httpx.HTTPError:
            pass
