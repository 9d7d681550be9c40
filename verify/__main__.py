"""`make verify`: the platform's reliability and security run (issue 11, item 4), on the
embedded profile as real processes (the development issuer and the four services on SQLite and
the embedded log), or with `--profile production` on PostgreSQL, Kafka, Keycloak and OpenSearch
(verify/engines.py), printing one table and exiting non-zero on any failure.

    python -m verify [--seconds 600] [--rate 2] [--kills 6] [--profile production]

- load: complaints at a steady rate (each POST with its own Idempotency-Key, retried until
  accepted, so a kill never loses or doubles one); every service's RSS sampled each second;
  afterwards every accepted complaint must be one case (cases' database), one search hit (its
  own word) and counted once (analytics' summary total, coordinator: exact figures);
- faults: kill -9 of a random service (intake's API and relay, or a consumer: cases, search,
  analytics) at random moments during the load, restarted at once on its port;
- bad input: probes of the kinds issue 11 found (NUL in paths, queries and bodies, wrong
  types, broken JSON, forged cursors, oversize bodies) against every service: zero 5xx;
- faults of the production profile: the broker killed, the database stopped, the database's
  data volume filled, each during the load;
- access: another tenant's and another office's staff, every role, read the complaints; every
  endpoint x every role against the permission matrix: zero leaks, counted;
- schemathesis over every service's OpenAPI.

What this run does not do yet is listed in docs/reliability.md ("Not covered").
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy
from keycloak import KeycloakAdmin, KeycloakOpenIDConnection

from alac_kernel.auth import roles
from alac_kernel.auth.dev_issuer import DEMO_CLIENTS, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET
from alac_kernel.identity import IdentityAdmin, IdentitySettings
from alac_kernel.testing import postgres_server
from alac_kernel.testing.access import (
    DEMO_CALLERS,
    Caller,
    Record,
    demo_callers,
    probe_access,
    seed_records,
    sees,
)
from alac_kernel.testing.openapi_fuzz import FUZZ_BASE, fuzz_openapi
from alac_kernel.testing.processes import ALAC, free_port_base
from verify.engines import Engines, production_engines
from verify.read_models import differences

SERVICES = ("intake", "cases", "analytics", "search")
HOST = "127.0.0.1"
REALM = "alac-dev"


@dataclass
class Platform:
    data: Path
    base: int
    logs: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ready: set[int] = field(default_factory=set)  # pids that answered /readyz
    mounted: bool = False  # the data folder is a tmpfs of its own (the full-disk fault)
    engines: Engines | None = None  # the production profile's engines
    tokens: dict[str, tuple[float, dict[str, str]]] = field(default_factory=dict)

    @property
    def issuer(self) -> str:
        """Keycloak's in the production profile, else the development issuer's."""
        if self.engines is not None and self.engines.issuer is not None:
            return self.engines.issuer
        return f"http://{HOST}:{self.base + 90}/realms/{REALM}"

    def database_url(self, service: str) -> str:
        if self.engines is not None:
            return self.engines.database_urls[service]
        return f"sqlite:///{self.data / f'{service}.db'}"

    def url(self, service: str) -> str:
        return f"http://{HOST}:{self.base + 1 + SERVICES.index(service)}"

    def env(self, service: str | None = None) -> dict[str, str]:
        """The environment of a process of `service` (its database and the bus in the
        production profile)."""
        env = dict(os.environ)
        env.update(
            ALAC_DATA_DIR=str(self.data),
            ALAC_AUTH_ISSUER=self.issuer,
            ALAC_INTAKE_URL=self.url("intake"),
            ALAC_LOG_JSON="true",
            ALAC_LOG_LEVEL="WARNING",
            ALAC_PROFILE="embedded",
        )
        if self.engines is not None and service is not None:
            env.update(self.engines.settings(service))
        return env

    def spawn(self, name: str, args: list[str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [*ALAC, *args],
            env=self.env(name if name in SERVICES else None),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def start_service(self, name: str) -> None:
        port = self.base + 1 + SERVICES.index(name)
        self.spawn(name, ["serve", name, "--host", HOST, "--port", str(port)])

    # A guard against a process that never answers, not a speed limit: on two cores shared
    # with other suites (load average 20-40) a service took over 90 s to start.
    def wait_ready(self, name: str, timeout_s: float = 300) -> None:
        url = (
            self.issuer + "/.well-known/openid-configuration"
            if name == "issuer"
            else (self.url(name) + "/readyz")
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.procs[name].poll() is not None:
                raise RuntimeError(f"{name} exited with {self.procs[name].returncode}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    self.ready.add(self.procs[name].pid)
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{name} not ready after {timeout_s} s")

    def kill9(self, name: str) -> None:
        self.procs[name].send_signal(signal.SIGKILL)
        self.procs[name].wait()

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        if self.mounted:
            subprocess.run(["umount", str(self.data)], check=False)  # noqa: S603, S607

    def mount_small_disk(self, megabytes: int) -> str | None:
        """Put the data folder on a tmpfs of `megabytes` (a real filesystem that fills), or
        say why not (mounting needs root)."""
        done = subprocess.run(  # noqa: S603
            ["mount", "-t", "tmpfs", "-o", f"size={megabytes}m,mode=0700", "tmpfs",  # noqa: S607
             str(self.data)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        self.mounted = done.returncode == 0
        return None if self.mounted else (done.stderr.strip() or "mount failed")


_STARTED = time.monotonic()


def progress(what: str) -> None:
    print(f"[{time.monotonic() - _STARTED:6.1f} s] {what}", file=sys.stderr, flush=True)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


# Tokens are asked for again after this long: both issuers' access tokens live 15 minutes,
# and a 10-minute load or the probes after it outlast one.
TOKEN_FRESH_S = 300


def token(platform: Platform, user: str) -> dict[str, str]:
    """A bearer token of a user (password grant: a demo user, or one the run created), or of
    the demo partner system `partner-ndi` (client credentials); the same one while fresh."""
    held = platform.tokens.get(user)
    if held is not None and time.monotonic() - held[0] < TOKEN_FRESH_S:
        return held[1]
    headers = _new_token(platform, user)
    platform.tokens[user] = (time.monotonic(), headers)
    return headers


def _new_token(platform: Platform, user: str) -> dict[str, str]:
    client = next((c for c in DEMO_CLIENTS if c.client_id == user), None)
    if client is not None:
        grant = {"grant_type": "client_credentials", "client_id": user,
                 "client_secret": client.secret}  # fmt: skip
    else:
        grant = {"grant_type": "password", "client_id": "alac-cli", "username": user,
                 "password": f"demo{user}"}  # fmt: skip
    response = httpx.post(
        f"{platform.issuer}/protocol/openid-connect/token", data=grant, timeout=10
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def start_platform(platform: Platform) -> None:
    if platform.engines is None or platform.engines.issuer is None:
        platform.spawn(
            "issuer",
            ["dev-issuer", "--data", str(platform.data), "--host", HOST, "--port",
             str(platform.base + 90)],
        )  # fmt: skip
        platform.wait_ready("issuer")
    for name in SERVICES:
        done = subprocess.run(  # noqa: S603
            [*ALAC, "migrate", name], env=platform.env(name), capture_output=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"migrate {name}: {done.stderr.decode()[-500:]}")
    for name in SERVICES:
        platform.start_service(name)
    for name in SERVICES:
        platform.wait_ready(name)


# --- load with faults -----------------------------------------------------------------------


@dataclass
class Load:
    accepted: dict[str, str] = field(default_factory=dict)  # word -> complaint id
    attempts: int = 0
    retries: int = 0
    lagging_s: float = 0.0
    rss: dict[str, list[float]] = field(default_factory=dict)  # "<service>#<pid>" -> MB
    kills: list[tuple[float, str]] = field(default_factory=list)
    outages: list[tuple[float, str, float]] = field(default_factory=list)  # at, what, seconds
    refusals: dict[int, int] = field(default_factory=dict)  # statuses of refused attempts
    # 503s without Retry-After or not a problem+json (a refusal must say when to come back)
    refusals_malformed: int = 0
    seconds: float = 0.0  # how long the load ran (longer than asked while an outage lasts)
    fault: str | None = None  # the fault lasting now, if its answers are counted apart
    during: dict[str, dict[int, int]] = field(default_factory=dict)  # fault -> statuses
    refused_during: dict[str, set[str]] = field(default_factory=dict)  # fault -> words
    readyz_during: dict[str, int] = field(default_factory=dict)  # fault -> intake's /readyz


def complaint_body(word: str) -> dict[str, str]:
    return {
        "channel": "hotline",
        "request_type": "case",
        "area": "education",
        "crux": f"The clerk asked for a bribe at the akimat, reference {word}.",
    }


def submit(client: httpx.Client, headers: dict[str, str], word: str, load: Load) -> None:
    body = complaint_body(word)
    key = f"verify-{word}"
    while True:
        load.attempts += 1
        try:
            response = client.post(
                "/v1/complaints", json=body, headers={**headers, "Idempotency-Key": key}
            )
            fault, code = load.fault, response.status_code
            if fault is not None:
                statuses = load.during.setdefault(fault, {})
                statuses[code] = statuses.get(code, 0) + 1
            if code == 201:
                load.accepted[word] = response.json()["id"]
                return
            load.refusals[code] = load.refusals.get(code, 0) + 1
            if fault is not None:
                load.refused_during.setdefault(fault, set()).add(word)
            if code == 503 and not well_refused(response):
                load.refusals_malformed += 1
        except httpx.HTTPError:
            pass
        load.retries += 1
        time.sleep(0.2)


def well_refused(response: httpx.Response) -> bool:
    """A 503 as the kernel makes it: a problem+json saying when to try again."""
    return "retry-after" in response.headers and response.headers.get(
        "content-type", ""
    ).startswith("application/problem+json")


def run_load(
    platform: Platform, seconds: float, rate: float, kills: int, load: Load, outage_s: float = 10
) -> None:
    client = httpx.Client(base_url=platform.url("intake"), timeout=10)
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            for name in SERVICES:
                pid = platform.procs[name].pid
                # From readiness on: a process still importing is not yet what is measured.
                value = rss_mb(pid) if pid in platform.ready else None
                if value is not None:
                    # Per process: a restarted service starts small again, which is not
                    # memory given back.
                    load.rss.setdefault(f"{name}#{pid}", []).append(value)
            stop.wait(1.0)

    kill_at = sorted(random.uniform(0.1, 0.9) * seconds for _ in range(kills))

    def killer() -> None:
        started = time.monotonic()
        for moment in kill_at:
            if stop.wait(max(0.0, moment - (time.monotonic() - started))):
                return
            victim = random.choice(SERVICES)
            platform.kill9(victim)
            load.kills.append((round(time.monotonic() - started, 1), victim))
            platform.start_service(victim)
            platform.wait_ready(victim)

    def outages() -> None:
        """Production profile: the bus, then the database, stopped for `outage_s` each; then
        the database's data volume filled (when it is a tmpfs of its own)."""
        engines = platform.engines
        assert engines is not None
        started = time.monotonic()
        faults = [
            (0.3, "bus (Kafka, kill -9)", engines.stop_bus, engines.start_bus),
            (0.6, "database (PostgreSQL, immediate stop)", engines.stop_database,
             engines.start_database),
        ]  # fmt: skip
        if engines.pg_disk is not None:
            disk = FullDisk(platform, load, engines.pg_disk)
            faults.append((0.85, DISK_FAULT, disk.fill, disk.free))
        for share, what, stop_it, start_it in faults:
            # Not cut short by the end of the load: the load goes on until all are over. A
            # stop (SIGTERM) before a fault begins ends them; one under way is undone first.
            if stop.wait(max(0.0, share * seconds - (time.monotonic() - started))):
                return
            at = round(time.monotonic() - started, 1)
            stop_it()
            if what == DISK_FAULT:
                disk.hold(outage_s)
            else:
                time.sleep(outage_s)
            start_it()
            load.outages.append((at, what, round(time.monotonic() - started - at, 1)))

    threads = [threading.Thread(target=sample), threading.Thread(target=killer)]
    faults = threading.Thread(target=outages)
    if platform.engines is not None:
        threads.append(faults)
    for thread in threads:
        thread.start()
    started = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - started < seconds or faults.is_alive():
            due = started + sent / rate
            now = time.monotonic()
            if due > now:
                time.sleep(due - now)
            else:
                load.lagging_s = max(load.lagging_s, now - due)
            submit(client, token(platform, "vera"), "vrf" + secrets.token_hex(5), load)
            sent += 1
    finally:
        load.seconds = time.monotonic() - started
        stop.set()
        for thread in threads:
            thread.join()
        client.close()


# --- a full disk ----------------------------------------------------------------------------


def fill(folder: Path) -> Path:
    """Write a file into `folder` until the filesystem has no byte left (ENOSPC)."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out:
        for chunk in (1 << 20, 1 << 12, 1):
            block = b"\0" * chunk
            try:
                while True:
                    out.write(block)
            except OSError:
                pass
    return filler


DISK_FAULT = "disk (PostgreSQL's data volume full)"


@dataclass
class FullDisk:
    """The production profile's full disk, during the load: PostgreSQL's data volume (a tmpfs
    of its own) filled to the last byte, held until the load has been refused `refusals`
    times (at least `outage_s`, at most a minute more), then freed. The load's answers meanwhile
    are counted apart (`Load.during`); the words refused must all be accepted afterwards."""

    platform: Platform
    load: Load
    volume: Path
    refusals: int = 3
    filler: Path | None = None

    def fill(self) -> None:
        self.load.fault = DISK_FAULT
        self.filler = fill(self.volume)

    def hold(self, outage_s: float) -> None:
        least, most = time.monotonic() + outage_s, time.monotonic() + outage_s + 60
        while time.monotonic() < most:
            refused = self.load.during.get(DISK_FAULT, {}).get(503, 0)
            if time.monotonic() >= least and refused >= self.refusals:
                break
            time.sleep(0.2)
        with contextlib.suppress(httpx.HTTPError):
            ready = httpx.get(self.platform.url("intake") + "/readyz", timeout=10)
            self.load.readyz_during[DISK_FAULT] = ready.status_code

    def free(self) -> None:
        self.load.fault = None
        if self.filler is not None:
            self.filler.unlink()


def disk_full(
    platform: Platform, load: Load, refusals: int = 3, at_most: int = 60
) -> dict[str, Any]:
    """Fill the data folder's filesystem, post complaints once each until `refusals` have been
    refused (or `at_most` tried): every answer is a 201 (the database still had room in pages
    it already held: a 10-minute run's WAL took 8) or a 503 problem, never another status;
    then free the space and post the same ones again with the same Idempotency-Key until
    accepted, so the accounting counts them (one case, one hit, once)."""
    headers = token(platform, "vera")
    words: list[str] = []
    statuses: dict[int, int] = {}
    not_problem = 0
    filler = fill(platform.data)
    try:
        with httpx.Client(base_url=platform.url("intake"), timeout=30) as client:
            while statuses.get(503, 0) < refusals and len(words) < at_most:
                word = "vrfull" + secrets.token_hex(5)
                words.append(word)
                response = client.post(
                    "/v1/complaints",
                    json=complaint_body(word),
                    headers={**headers, "Idempotency-Key": f"verify-{word}"},
                )
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                media = response.headers.get("content-type", "")
                if response.status_code != 201 and not media.startswith("application/problem"):
                    not_problem += 1
            ready_while_full = client.get("/readyz").status_code
    finally:
        filler.unlink()
    with httpx.Client(base_url=platform.url("intake"), timeout=30) as client:
        for word in words:
            submit(client, headers, word, load)  # space is back: the same keys, accepted once
    return {
        "statuses": statuses,
        "refused_503": statuses.get(503, 0),
        "other": sum(n for code, n in statuses.items() if code not in (201, 503)),
        "not_problem": not_problem,
        "readyz_while_full": ready_while_full,
        "recovered": all(word in load.accepted for word in words),
    }


def integrity(platform: Platform) -> dict[str, str]:
    """SQLite's own check of every database file: a write cut by the full disk left none
    half-written."""
    found = {}
    for path in sorted(platform.data.glob("*.db")):
        with sqlite3.connect(path) as db:
            found[path.name] = db.execute("pragma integrity_check").fetchone()[0]
    return found


def pg_integrity(engines: Engines) -> dict[str, str]:
    """PostgreSQL's own check (`pg_amcheck`: every table's heap and every B-tree index, with
    every heap tuple looked up in its indexes) of every service's database: a write cut by the
    full disk or the immediate stop left none half-written."""
    found = {}
    for service, url in sorted(engines.database_urls.items()):
        database = sqlalchemy.make_url(url).database or ""
        done = subprocess.run(  # noqa: S603 - the server's own tool, fixed argv
            [str(postgres_server.bin_dir() / "pg_amcheck"), "-h", "127.0.0.1", "-p",
             str(engines.pg_port), "-U", "postgres", "--install-missing", "--heapallindexed",
             "--parent-check", database],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        found[service] = (
            "ok" if done.returncode == 0 else (done.stdout + done.stderr).strip()[-300:]
        )
    return found


def complaints_stored(platform: Platform) -> int:
    """Complaints in intake's database: each accepted one once, nothing else (a complaint
    stored without its idempotency record would be stored again by the retry)."""
    engine = sqlalchemy.create_engine(platform.database_url("intake"))
    try:
        with engine.connect() as db:
            return int(db.execute(sqlalchemy.text("select count(*) from complaints")).scalar_one())
    finally:
        engine.dispose()


# --- read models against a rebuild from the events ------------------------------------------

REBUILDS = {"search": ["search", "reindex"], "analytics": ["analytics", "rebuild"]}


def read_model(platform: Platform, model: str) -> dict[str, Any]:
    done = subprocess.run(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "verify.read_models", model],
        env=platform.env(model), capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"reading the {model} read model: {done.stderr[-500:]}")
    return dict(json.loads(done.stdout))


def rebuild_and_compare(platform: Platform) -> dict[str, dict[str, Any]]:
    """Each read model (the search index, analytics' facts and counts) as it is live, then
    rebuilt from the first event by its own operation (which swaps the rebuild in), then
    compared record by record: the same records, each identical."""
    found = {}
    for model, command in REBUILDS.items():
        live = read_model(platform, model)
        done = subprocess.run(  # noqa: S603
            [*ALAC, *command], env=platform.env(model), capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"alac {' '.join(command)}: {done.stderr[-500:]}")
        rebuilt = read_model(platform, model)
        differing = differences(live, rebuilt)
        for key in differing[:5]:
            print(f"  {model} differs at {key}", file=sys.stderr)
        found[model] = {
            "live": live["records"],
            "rebuilt": rebuilt["records"],
            "differing": len(differing),
        }
    return found


# --- accounting -----------------------------------------------------------------------------


def cases_per_complaint(platform: Platform) -> dict[str, int]:
    """Straight from cases' database (SQLite, or PostgreSQL in the production profile)."""
    engine = sqlalchemy.create_engine(platform.database_url("cases"))
    try:
        with engine.connect() as db:
            rows = db.execute(
                sqlalchemy.text("select complaint_id, count(*) from cases group by complaint_id")
            )
            return {str(complaint): int(n) for complaint, n in rows}
    finally:
        engine.dispose()


def account(platform: Platform, load: Load, timeout_s: float) -> dict[str, int]:
    """Wait for the read models, then count what each holds for the accepted complaints."""
    ids = set(load.accepted.values())
    analytics_headers = token(platform, "kazbek")
    search_headers = token(platform, "lena")
    deadline = time.monotonic() + timeout_s
    while True:
        per_complaint = cases_per_complaint(platform)
        summary = httpx.get(
            platform.url("analytics") + "/v1/stats/summary",
            headers=analytics_headers,
            timeout=10,
        ).json()
        counted = summary.get("total") or 0
        settled = ids <= set(per_complaint) and counted >= len(ids)
        if settled or time.monotonic() > deadline:
            break
        time.sleep(1)
    hits_ok = hits_missing = hits_extra = 0
    with httpx.Client(base_url=platform.url("search"), timeout=10) as client:
        for word, complaint_id in load.accepted.items():
            for _ in range(20):
                items = client.get("/v1/search", params={"q": word}, headers=search_headers).json()[
                    "items"
                ]
                if items:
                    break
                time.sleep(0.5)
            found = [h["id"] for h in items]
            if found == [complaint_id]:
                hits_ok += 1
            elif not found:
                hits_missing += 1
            else:
                hits_extra += 1
    return {
        "accepted": len(ids),
        "cases_missing": len(ids - set(per_complaint)),
        "cases_duplicated": sum(1 for c in ids if per_complaint.get(c, 0) > 1),
        "hits_ok": hits_ok,
        "hits_missing": hits_missing,
        "hits_wrong_or_duplicated": hits_extra,
        "counted": counted,
    }


# --- bad input and access -------------------------------------------------------------------


def bad_input(platform: Platform, some_id: str) -> dict[str, int]:
    users = {name: token(platform, name) for name in ("vera", "lena", "kazbek", "anuar")}
    probes: list[tuple[str, str, str, dict[str, Any]]] = []
    for service in SERVICES:
        for user in users:
            probes += [
                (service, user, "GET", {"url": "/v1/complaints/a%00b"}),
                (service, user, "GET", {"url": "/v1/cases/a%00b"}),
                (service, user, "GET", {"url": "/v1/cases", "params": {"office": "a\x00b"}}),
                (service, user, "GET", {"url": "/v1/stats/summary", "params": {"office": "a\x00b"}}),
                (service, user, "GET", {"url": "/v1/search", "params": {"q": "\x00"}}),
                (service, user, "GET", {"url": "/v1/search", "params": {"q": "x", "cursor": "W10"}}),
                (service, user, "POST", {"url": "/v1/complaints", "content": b"{not json"}),
                (service, user, "POST", {"url": "/v1/complaints", "json": {"crux": 5}}),
                (service, user, "POST", {"url": "/v1/complaints", "json": [1, 2]}),
                (service, user, "POST", {"url": "/v1/complaints",
                                         "json": {"channel": "hotline", "crux": "a\x00b"}}),
                (service, user, "PATCH", {"url": f"/v1/complaints/{some_id}",
                                          "json": {"area": {"x": 1}}}),
                (service, user, "POST", {"url": "/v1/complaints",
                                         "content": b"{" + b" " * 1_100_000 + b"}"}),
                (service, user, "GET", {"url": "/v1/network/statistics",
                                        "params": {"format": "csv"}}),
            ]  # fmt: skip
    counts = {"tried": 0, "5xx": 0}
    failures: list[str] = []
    for service, user, method, request in probes:
        counts["tried"] += 1
        try:
            response = httpx.request(
                method,
                platform.url(service) + request["url"],
                params=request.get("params"),
                json=request.get("json"),
                content=request.get("content"),
                headers={**users[user], "Content-Type": "application/json"},
                timeout=30,
            )
        except httpx.HTTPError as exc:
            counts["5xx"] += 1
            failures.append(f"{service} {method} {request['url']}: {exc}")
            continue
        if response.status_code >= 500:
            counts["5xx"] += 1
            failures.append(
                f"{service} {method} {request['url']} as {user}: {response.status_code}"
            )
    for line in failures[:10]:
        print("  5xx:", line, file=sys.stderr)
    return counts


# Outsiders of tk/almaty besides the demo callers (alac_kernel.testing.access.DEMO_CALLERS:
# astana's volunteer askar, ndi's volunteer nurlan and lawyer dana, ndi's partner system):
# every other role of another tenant (ndi) and of another office (astana). laura is a demo
# user; the others the run creates in the identity provider (Keycloak, or the development
# issuer's directory) through the platform's own identity administration.
OUTSIDERS: tuple[tuple[str, str, str, str, str | None], ...] = (
    ("other office: lawyer", "laura", roles.LAWYER, "tk", "astana"),
    ("other office: coordinator", "vrf-astana-coordinator", roles.COORDINATOR, "tk", "astana"),
    ("other office: tenant admin", "vrf-astana-admin", roles.TENANT_ADMIN, "tk", "astana"),
    ("other office: analyst", "vrf-astana-analyst", roles.ANALYST, "tk", "astana"),
    ("other tenant: coordinator", "vrf-ndi-coordinator", roles.COORDINATOR, "ndi", "shymkent"),
    ("other tenant: tenant admin", "vrf-ndi-admin", roles.TENANT_ADMIN, "ndi", "shymkent"),
    ("other tenant: analyst", "vrf-ndi-analyst", roles.ANALYST, "ndi", "shymkent"),
)
_DEMO_NAMES = {name for _, name, *_ in DEMO_CALLERS} | {"laura"}


def create_outsiders(platform: Platform) -> list[Caller]:
    """The accounts of OUTSIDERS that do not exist yet, signed in; their callers."""
    identity = IdentityAdmin(
        IdentitySettings.from_issuer(platform.issuer, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET)
    )
    admin = KeycloakAdmin(
        connection=KeycloakOpenIDConnection(
            server_url=identity.settings.server_url,
            realm_name=identity.settings.realm,
            client_id=DEV_ADMIN_CLIENT,
            client_secret_key=DEV_ADMIN_SECRET,
        )
    )
    callers = []
    for label, username, role, tenant, office in OUTSIDERS:
        if username not in _DEMO_NAMES:
            account = identity.invite(
                tenant, username=username, email=f"{username}@verify.invalid",
                first_name="Verify", last_name=label, office=office or "", role=role,
            )  # fmt: skip
            # Invited staff set a password and verify their e-mail on first sign-in; the run
            # does both for them, so the password grant signs them in.
            admin.set_user_password(account.id, f"demo{username}", temporary=False)
            rep = admin.get_user(account.id)
            admin.update_user(account.id, {**rep, "requiredActions": [], "emailVerified": True})
        callers.append(Caller(label, role, tenant, office, token(platform, username)))
    return callers


def access(platform: Platform, load: Load, extra: list[Caller]) -> dict[str, int]:
    """Another tenant's lawyer (dana, ndi) and another office's volunteer (askar, astana),
    and every caller of `extra` the kernel's visibility rule keeps from tk/almaty's records,
    try every complaint of tk/almaty through intake, cases and search. (Another office's
    lawyer, coordinator and tenant admin see every office of their tenant: the matrix probe
    checks they are let in.)"""
    almaty = Record("tk", "almaty", {}, frozenset())
    outsiders = [token(platform, "dana"), token(platform, "askar"),
                 *(dict(c.headers) for c in extra if not sees(c, almaty))]  # fmt: skip
    tried = leaks = 0
    sample = list(load.accepted.items())[:50]
    for headers in outsiders:
        for word, complaint_id in sample:
            tried += 3
            got = httpx.get(
                platform.url("intake") + f"/v1/complaints/{complaint_id}", headers=headers
            )
            leaks += got.status_code == 200 or word in got.text
            found = httpx.get(
                platform.url("search") + "/v1/search", params={"q": word}, headers=headers
            )
            # The answer echoes the query itself; a leak is a hit or a count.
            body = found.json() if found.status_code == 200 else {}
            leaks += (
                bool(body.get("items")) or bool(body.get("total")) or complaint_id in found.text
            )
            cases = httpx.get(
                platform.url("cases") + "/v1/cases", params={"limit": 200}, headers=headers
            )
            leaks += complaint_id in cases.text
    return {"tried": tried, "leaks": int(leaks)}


@dataclass
class Callers:
    """One HTTP client per service and a token per demo user, for the probes below."""

    platform: Platform
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def headers_of(self, user: str) -> dict[str, str]:
        return token(self.platform, user)

    def send(self, service: str, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if service not in self.clients:
            self.clients[service] = httpx.Client(base_url=self.platform.url(service), timeout=30)
        return self.clients[service].request(method, url, **kwargs)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def every_endpoint(
    callers: Callers, records: list[Record], word: str, extra: list[Caller]
) -> dict[str, Any]:
    """Every operation of every service's OpenAPI x every role (alac_kernel.testing.access),
    and the outsiders of `extra`: answers as the permission matrix says, no 5xx, no record the
    caller may not see."""
    openapis = {name: callers.send(name, "GET", "/openapi.json").json() for name in SERVICES}
    who = [*demo_callers(callers.headers_of), *extra]
    report = probe_access(openapis, callers.send, who, records, word)
    for line in [*report.unlisted, *report.failures][:20]:
        print("  access:", line, file=sys.stderr)
    return {
        "operations": report.operations,
        "tried": report.tried,
        "5xx": report.server_errors,
        "leaks": report.leaks,
        "mismatches": report.mismatches,
        "unlisted": len(report.unlisted),
        "ok": report.ok,
    }


def schemathesis_run(callers: Callers, records: list[Record], examples: int) -> dict[str, Any]:
    """Schemathesis (alac_kernel.testing.openapi_fuzz) over every service's OpenAPI, valid and
    invalid requests, with a token of every role and none: no 5xx, every answer documented and
    matching its schema, every error a problem+json. Runs last: valid writes change data."""
    headers = [callers.headers_of(user) for _, user, *_ in DEMO_CALLERS] + [{}]
    path_values = {
        name: [r.path_values[name] for r in records] for name in ("complaint_id", "case_id")
    }
    calls, server_errors, unsendable, failures = 0, 0, 0, []
    for name in SERVICES:
        base = callers.platform.url(name)

        def send(*, url: str, base: str = base, **kwargs: Any) -> httpx.Response:
            return httpx.request(url=url.replace(FUZZ_BASE, base, 1), timeout=30, **kwargs)

        report = fuzz_openapi(
            callers.send(name, "GET", "/openapi.json").json(),
            send=send,
            headers=headers,
            path_values=path_values,
            max_examples=examples,
        )
        calls += report.calls
        unsendable += report.unsendable
        server_errors += sum(n for status, n in report.statuses.items() if status >= 500)
        failures += [f"{name}: {line}" for line in report.failures]
    for line in failures[:20]:
        print("  schemathesis:", line[:400], file=sys.stderr)
    return {
        "calls": calls,
        "5xx": server_errors,
        "failures": len(failures),
        "unsendable": unsendable,  # requests httpx refuses to put on the wire
    }


# --- the table ------------------------------------------------------------------------------


def disk_row(
    production: bool, full: dict[str, Any] | None, mount_refused: str | None, load: Load
) -> tuple[str, str, bool]:
    """The full disk's row: answers while full (only 201 and 503 problems, at least one 503),
    intake's /readyz meanwhile, and every complaint refused accepted once space is back."""
    if production:
        statuses = load.during.get(DISK_FAULT)
        if statuses is None:
            return ("faults: PostgreSQL's data volume full during the load", "not run: "
                    "--disk-mb 0", False)  # fmt: skip
        refused = load.refused_during.get(DISK_FAULT, set())
        later = len(refused & set(load.accepted))
        return (
            "faults: PostgreSQL's data volume full during the load (answers while full; "
            "readyz; refused then accepted)",
            f"{dict(sorted(statuses.items()))}; {load.readyz_during.get(DISK_FAULT)}; "
            f"{later} of {len(refused)}",
            statuses.get(503, 0) > 0 and set(statuses) <= {201, 503} and later == len(refused),
        )
    return (
        "faults: disk full (answers while full; readyz; recovered)",
        "not run: " + str(mount_refused) if full is None else
        f"{full['statuses']}; {full['readyz_while_full']}; {full['recovered']}",
        full is not None and full["other"] == full["not_problem"] == 0
        and full["refused_503"] > 0 and full["recovered"],
    )  # fmt: skip


def rss_growth(samples: list[float]) -> tuple[float, float]:
    third = max(1, len(samples) // 3)
    return statistics.median(samples[:third]), statistics.median(samples[-third:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m verify", description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--rate", type=float, default=2.0, help="complaints per second")
    parser.add_argument("--kills", type=int, default=6, help="kill -9 during the load")
    parser.add_argument(
        "--fuzz-examples", type=int, default=10, help="schemathesis examples per operation"
    )
    parser.add_argument(
        "--disk-mb", type=int, default=256,
        help="the data folder (production: PostgreSQL's data folder) on a tmpfs of this size, "
        "filled once after the load (production: during it) (needs root; 0: not run)",
    )  # fmt: skip
    parser.add_argument(
        "--profile", choices=("embedded", "production"), default="embedded",
        help="production: the services on PostgreSQL, Kafka, Keycloak and OpenSearch, and the "
        "bus and the database each stopped, and the database's disk filled, during the load",
    )  # fmt: skip
    parser.add_argument(
        "--outsiders", choices=("every-role", "demo"), default="every-role",
        help="every-role: the access probes also ask as every other role of another tenant and "
        "of another office (accounts the run creates); demo: the demo outsiders only",
    )  # fmt: skip
    parser.add_argument(
        "--outage", type=float, default=10, help="seconds the bus and the database stay down"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--logs", type=Path, help="keep the services' logs in this folder")
    parser.add_argument(
        "--rate-informative",
        action="store_true",
        help="report the rate reached without failing on it (the short run inside make test: "
        "a test never asserts a wall-clock figure)",
    )
    args = parser.parse_args(argv)
    # SIGTERM (a timeout, Ctrl-C's cousin) unwinds through `finally`, which stops the services.
    previous = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        return _run(args)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(args: argparse.Namespace) -> int:

    production = args.profile == "production"
    with tempfile.TemporaryDirectory(prefix="alac-verify-") as tmp, contextlib.ExitStack() as stack:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        platform = Platform(data=Path(tmp) / "data", base=free_port_base(), logs=logs)
        platform.data.mkdir()
        load = Load()
        if production:
            platform.engines = stack.enter_context(
                production_engines(Path(tmp) / "engines", disk_mb=args.disk_mb)
            )
            progress("PostgreSQL, Kafka, Keycloak and OpenSearch up")
        try:
            # In the production profile complaints live in PostgreSQL, not in the data folder:
            # its data volume is filled during the load (Engines.pg_disk, FullDisk).
            mount_refused = (
                "production: PostgreSQL's volume is filled during the load"
                if production
                else platform.mount_small_disk(args.disk_mb)
                if args.disk_mb
                else "--disk-mb 0"
            )
            start_platform(platform)
            progress("platform up")
            run_load(platform, args.seconds, args.rate, args.kills, load, args.outage)
            progress(f"load done: {len(load.accepted)} accepted, kills {load.kills}, "
                     f"outages {load.outages}, refusals {load.refusals}")  # fmt: skip
            full = disk_full(platform, load) if mount_refused is None else None
            progress(f"disk full: {full or mount_refused}")
            counts = account(platform, load, timeout_s=120 + args.seconds / 5)
            progress(f"accounted: {counts}")
            stored = complaints_stored(platform)
            checked = pg_integrity(platform.engines) if platform.engines else integrity(platform)
            progress(f"integrity: {checked}; complaints stored {stored}")
            rebuilt = rebuild_and_compare(platform)
            progress(f"read models against a rebuild: {rebuilt}")
            some_id = next(iter(load.accepted.values()))
            probes = bad_input(platform, some_id)
            progress(f"bad input: {probes}")
            extra = create_outsiders(platform) if args.outsiders == "every-role" else []
            leaks = access(platform, load, extra)
            progress(f"access: {leaks}")
            callers = Callers(platform)
            try:
                word = "vrfmatrix" + secrets.token_hex(3)
                records = seed_records(
                    callers.send, callers.headers_of, settle=lambda: time.sleep(0.5), word=word
                )
                matrix = every_endpoint(callers, records, word, extra)
                progress(f"every endpoint x role: {matrix}")
                fuzzed = schemathesis_run(callers, records, args.fuzz_examples)
                progress(f"schemathesis: {fuzzed}")
            finally:
                callers.close()
        finally:
            platform.stop()

    rows: list[tuple[str, str, bool]] = []
    sent_per_s = len(load.accepted) / max(load.seconds, 1e-9)
    rows.append(("load: complaints accepted", f"{counts['accepted']} in {load.seconds:.0f} s "
                 f"({sent_per_s:.2f}/s, target {args.rate}/s; {load.retries} retries, "
                 f"worst lag {load.lagging_s:.1f} s)",
                 args.rate_informative or sent_per_s >= 0.9 * args.rate))  # fmt: skip
    longest: dict[str, list[float]] = {}
    for key, samples in load.rss.items():  # each service's longest-lived process
        name = key.split("#")[0]
        if len(samples) > len(longest.get(name, [])):
            longest[name] = samples
    for name, samples in sorted(longest.items()):
        first, last = rss_growth(samples)
        flat = last <= first * 1.25 + 20
        rows.append((f"load: RSS {name} (MB, first third -> last third of its longest process)",
                     f"{first:.0f} -> {last:.0f} (max {max(samples):.0f})", flat))  # fmt: skip
    rows += [
        ("faults: kill -9 survived", ", ".join(f"{v}@{t}s" for t, v in load.kills) or "none",
         len(load.kills) == args.kills),
        ("lost: complaints without a case", str(counts["cases_missing"]), counts["cases_missing"] == 0),
        ("duplicated: complaints with two cases", str(counts["cases_duplicated"]),
         counts["cases_duplicated"] == 0),
        ("search: one hit per complaint", f"{counts['hits_ok']} of {counts['accepted']}",
         counts["hits_ok"] == counts["accepted"]),
        ("lost/duplicated in search", f"{counts['hits_missing']} / {counts['hits_wrong_or_duplicated']}",
         counts["hits_missing"] == 0 and counts["hits_wrong_or_duplicated"] == 0),
        ("analytics: counted once", f"{counts['counted']} of {counts['accepted']}",
         counts["counted"] == counts["accepted"]),
        *(("faults: stopped and restarted during the load",
           ", ".join(f"{what}@{at}s for {down}s" for at, what, down in load.outages),
           len(load.outages) == (3 if args.disk_mb else 2)) for _ in [1] if production),
        ("load: refused attempts by status (503 expected while a fault lasts; "
         "503s without Retry-After or problem+json)",
         (", ".join(f"{code}: {n}" for code, n in sorted(load.refusals.items())) or "none")
         + f"; {load.refusals_malformed}",
         all(code == 503 or code < 500 for code in load.refusals)
         and load.refusals_malformed == 0),
        disk_row(production, full, mount_refused, load),
        (f"no half-written data: {'pg_amcheck' if production else 'sqlite integrity_check'}",
         ", ".join(f"{k} {v}" for k, v in checked.items()),
         bool(checked) and all(v == "ok" for v in checked.values())),
        ("no half-written data: complaints stored in intake = accepted", f"{stored} = "
         f"{counts['accepted']}", stored == counts["accepted"]),
        *((f"read model {model} = rebuild from the events (live, rebuilt, differing)",
           f"{r['live']}, {r['rebuilt']}, {r['differing']}",
           r["live"] == r["rebuilt"] > 0 and r["differing"] == 0)
          for model, r in rebuilt.items()),
        ("bad input: probes tried, 5xx", f"{probes['tried']}, {probes['5xx']}", probes["5xx"] == 0),
        ("access: probes tried, leaks", f"{leaks['tried']}, {leaks['leaks']}", leaks["leaks"] == 0),
        ("access: every endpoint x role (ops, tried, 5xx, leaks, off-matrix)",
         f"{matrix['operations']}, {matrix['tried']}, {matrix['5xx']}, {matrix['leaks']}, "
         f"{matrix['mismatches'] + matrix['unlisted']}", matrix["ok"]),
        ("schemathesis: calls, 5xx, off-schema or not problem+json",
         f"{fuzzed['calls']}, {fuzzed['5xx']}, {fuzzed['failures']}",
         fuzzed["5xx"] == 0 and fuzzed["failures"] == 0),
    ]  # fmt: skip
    width = max(len(r[0]) for r in rows)
    print(f"\n{'check'.ljust(width)}  {'result':<60} ok")
    for label, value, ok in rows:
        print(f"{label.ljust(width)}  {value:<60} {'yes' if ok else 'NO'}")
    failed = [r for r in rows if not r[2]]
    print(f"\n{'FAILED: ' + str(len(failed)) + ' check(s)' if failed else 'all checks passed'}")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "rows": [list(r) for r in rows],
                    "counts": counts,
                    "probes": probes,
                    "access": leaks,
                    "every_endpoint": matrix,
                    "schemathesis": fuzzed,
                    "disk_full": full,
                    "integrity": checked,
                    "stored": stored,
                    "during": {k: dict(v) for k, v in load.during.items()},
                    "refused_during": {k: len(v) for k, v in load.refused_during.items()},
                    "readyz_during": load.readyz_during,
                    "refusals_malformed": load.refusals_malformed,
                    "read_models": rebuilt,
                    "kills": load.kills,
                    "outages": load.outages,
                    "refusals": load.refusals,
                    "profile": args.profile,
                },
                indent=2,
            )  # fmt: skip
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
