"""`python -m bench.onboarding`: how long onboarding a centre takes (figure set 8).

The four services run in one process on SQLite with the embedded log (as the in-process
tests run them); the identity provider is the development issuer served on a loopback port
(`--provider embedded`, as `make run` has it) or a real Keycloak 26 (`--provider keycloak`,
the fetched engine), administered with python-keycloak either way. Measured, wall-clock:

1. one centre: `POST /v1/tenants` (organization, role groups, first admin, registry,
   tenant.onboarded) and then every service applying tenant.onboarded (the pump until nothing
   moves);
2. --centres centres in a row (default 100): per-centre p50 / p95 / max and the total;
3. the ceiling, measured in the same run and interleaved with the centres (every fifth, so
   that both meet a directory of the same size): the identity provider's part alone (the
   same identity steps through the same python-keycloak client), so the platform's own cost
   is what lies between the two; and the number of admin API calls per centre (counted on
   the client: it does not depend on the machine's load);
4. the platform's other figures meanwhile, before the centres and after them: recording a
   complaint (intake, `POST /v1/complaints`), the triage list (cases, `GET /v1/cases`, the
   triage page's call) and a search (`GET /v1/search`), each as p50 / p95 and CPU ms per
   request of this process (the services run in it; the CPU time does not stretch with the
   machine's load as the wall clock does).

Prints the table with the load average; writes bench/results/onboarding.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import requests
from fastapi.testclient import TestClient

RESULTS = Path(__file__).resolve().parent / "results" / "onboarding.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.onboarding", description=__doc__)
    p.add_argument("--centres", type=int, default=100, help="centres onboarded in a row")
    p.add_argument("--complaints", type=int, default=50, help="requests timed before/after")
    p.add_argument(
        "--provider", choices=("embedded", "keycloak"), default="embedded",
        help="the development issuer, or the fetched Keycloak 26 (`alac engines fetch`)",
    )  # fmt: skip
    p.add_argument("--quick", action="store_true", help="5 centres, 10 requests")
    p.add_argument("--output", type=Path, default=None, help="JSON output")
    args = p.parse_args(argv)
    if args.quick:
        args.centres, args.complaints = 5, 10
    if args.centres < 1 or args.complaints < 1:
        p.error("--centres and --complaints must be positive")
    if args.output is None:
        suffix = "" if args.provider == "embedded" else f"-{args.provider}"
        args.output = RESULTS.with_name(f"onboarding{suffix}.json")
    return args


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def centre(n: int, run: str) -> dict[str, Any]:
    return {
        "id": f"c{run}-{n}",
        "names": {"kk": f"Орталық {n}", "ru": f"Центр {n}", "en": f"Centre {run} {n}"},
        "offices": [
            {
                "code": "main",
                "region": "aktobe",
                "names": {"kk": "Бас", "ru": "Главный", "en": "Main"},
            },
            {
                "code": "branch",
                "region": "atyrau",
                "names": {"kk": "Филиал", "ru": "Филиал", "en": "Branch"},
            },
        ],  # fmt: skip
        "admin": {
            "username": f"admin-{run}-{n}",
            "email": f"admin-{run}-{n}@centre{n}.example.org",
            "first_name": "Admin",
            "last_name": f"Number {n}",
        },
    }


@contextlib.contextmanager
def identity_provider(tmp: Path, name: str) -> Iterator[dict[str, Any]]:
    """The provider's admin settings, a token for a demo user, and the services' verifier."""
    from alac_kernel.auth.dev_issuer import DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET
    from alac_kernel.auth.verifier import TokenVerifier
    from alac_kernel.identity import IdentitySettings
    from alac_kernel.settings import DEV_REALM
    from alac_kernel.testing.harness import InProcessIssuer
    from alac_kernel.testing.serve import serve_app

    if name == "embedded":
        issuer = InProcessIssuer(tmp / "keys")
        with serve_app(issuer.app) as base:
            yield {
                "admin": IdentitySettings(base, DEV_REALM, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET),
                "token": issuer.token,
                "verifier": issuer.verifier,
            }
        return
    from alac_cli.engines import keycloak

    with keycloak.run(tmp) as endpoint:
        url = endpoint.settings["ALAC_AUTH_ISSUER"]

        def token(username: str) -> str:
            # A fresh one each time: a run of 100 centres outlasts an access token.
            answer = httpx.post(
                f"{url}/protocol/openid-connect/token",
                data={"grant_type": "password", "client_id": "alac-cli",
                      "username": username, "password": f"demo{username}"},
                timeout=30,
            )  # fmt: skip
            answer.raise_for_status()
            return str(answer.json()["access_token"])

        def verifier() -> TokenVerifier:
            return TokenVerifier(
                issuer=url, audience="alac-api", client_id="alac-api",
                jwks_url=endpoint.settings["ALAC_AUTH_JWKS_URL"],
            )  # fmt: skip

        yield {
            "admin": IdentitySettings.from_issuer(url, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET),
            "token": token,
            "verifier": verifier,
        }


@contextlib.contextmanager
def platform(tmp: Path, provider: str) -> Iterator[dict[str, Any]]:
    from alac_cli.services import SERVICES, service_module
    from alac_kernel.identity import IdentityAdmin
    from alac_kernel.settings import Settings
    from alac_kernel.testing.harness import TEST_ISSUER, Pump, text_keys_through

    with contextlib.ExitStack() as stack:
        idp = stack.enter_context(identity_provider(tmp, provider))
        apps = {}
        clients = {}
        for name in SERVICES:
            settings = Settings(
                data_dir=tmp, run_workers=False, auth_issuer=TEST_ISSUER, log_level="WARNING"
            )
            app = service_module(name).create_app(settings, idp["verifier"]())
            app.state.runtime.migrate()
            apps[name] = app
            clients[name] = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        text_keys_through(apps, clients["intake"])  # complaint text keys from intake
        pump = Pump([a.state.runtime for a in apps.values()])
        stack.callback(pump.close)
        identity = IdentityAdmin(idp["admin"])
        apps["cases"].state.runtime.identity = identity
        yield {"token": idp["token"], "clients": clients, "pump": pump, "identity": identity}


def timed(calls: list[Callable[[], httpx.Response]], status: int) -> dict[str, Any]:
    """Each call's wall-clock ms, and this process's CPU ms per call (the services run here)."""
    took = []
    cpu = time.process_time()
    for call in calls:
        started = time.perf_counter()
        response = call()
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == status, response.text
    return {**summary(took), "cpu_ms": round((time.process_time() - cpu) * 1000 / len(calls), 1)}


def other_figures(world: dict[str, Any], n: int) -> dict[str, dict[str, Any]]:
    """The platform's other work: recording a complaint, the triage list, a search."""
    clients = world["clients"]
    vera = {"Authorization": f"Bearer {world['token']('vera')}"}
    lena = {"Authorization": f"Bearer {world['token']('lena')}"}

    def complaint(i: int) -> Callable[[], httpx.Response]:
        body = {"channel": "hotline", "crux": f"Требуют деньги за справку {i}."}
        return lambda: clients["intake"].post("/v1/complaints", json=body, headers=vera)

    recorded = timed([complaint(i) for i in range(n)], 201)
    world["pump"]()  # the cases and the index of what was just recorded
    triage = timed(
        [lambda: clients["cases"].get("/v1/cases", params={"status": "triage"}, headers=lena)] * n,
        200,
    )
    search = timed(
        [lambda: clients["search"].get("/v1/search", params={"q": "справку"}, headers=lena)] * n,
        200,
    )
    return {"complaint": recorded, "triage_list": triage, "search": search}


class AdminCalls:
    """Counts the HTTP requests python-keycloak sends (it uses `requests`; the services'
    test clients and the bench's own token requests use httpx)."""

    def __init__(self) -> None:
        self.count = 0
        self._send = requests.Session.send

    def __enter__(self) -> AdminCalls:
        original = self._send

        def send(session: requests.Session, *args: Any, **kwargs: Any) -> requests.Response:
            self.count += 1
            return original(session, *args, **kwargs)

        requests.Session.send = send  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        requests.Session.send = self._send  # type: ignore[method-assign]


def onboard_one(world: dict[str, Any], body: dict[str, Any], headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = world["clients"]["cases"].post("/v1/tenants", json=body, headers=headers)
    if response.status_code != 201:
        raise RuntimeError(f"onboarding {body['id']} refused: {response.text}")
    world["pump"]()
    return (time.perf_counter() - started) * 1000


def ceiling(world: dict[str, Any], i: int, run: str) -> float:
    """The identity provider's part alone, through the same client and the same calls."""
    identity = world["identity"]
    started = time.perf_counter()
    identity.check()
    org = identity.ensure_organization(f"k{run}-{i}", f"Ceiling {run} {i}")
    identity.ensure_role_groups(f"k{run}-{i}")  # onboarding's identity steps, in order
    identity.invite(
        f"k{run}-{i}", username=f"ceiling-{run}-{i}", email=f"c{i}@k{run}.example.org",
        first_name="C", last_name="Eiling", office="main", role="tenant-admin",
        organization_id=org,
    )  # fmt: skip
    return (time.perf_counter() - started) * 1000


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


FIGURES = {
    "complaint": "recording a complaint",
    "triage_list": "the triage list",
    "search": "a search",
}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = uuid.uuid4().hex[:4]
    load_before = load()
    with (
        tempfile.TemporaryDirectory(prefix="alac-bench-onboarding-") as tmp,
        platform(Path(tmp), args.provider) as world,
    ):
        admin = {"Authorization": f"Bearer {world['token']('pavel')}"}
        before = other_figures(world, args.complaints)
        with AdminCalls() as calls:
            first = onboard_one(world, centre(0, run), admin)
        first_calls = calls.count
        row, bare, spent = [], [], 0.0
        with AdminCalls() as calls:
            for i in range(1, args.centres + 1):
                if args.provider != "embedded" and i % 20 == 0:  # tokens live 15 minutes
                    admin = {"Authorization": f"Bearer {world['token']('pavel')}"}
                cpu = time.process_time()
                row.append(onboard_one(world, centre(i, run), admin))
                spent += time.process_time() - cpu
                if i % 5 == 0 or (i == args.centres and not bare):  # same directory size
                    before_calls = calls.count
                    bare.append(ceiling(world, i, run))
                    calls.count = before_calls  # counted: the centres' calls only
        total_s = sum(row) / 1000
        after = other_figures(world, args.complaints)
    document = {
        "provider": args.provider,
        "centres": args.centres,
        "one_centre_ms": round(first, 1),
        "admin_calls_one_centre": first_calls,
        "in_a_row": {
            **summary(row),
            "total_s": round(total_s, 2),
            # the services' and, on the embedded provider, the issuer's (same process)
            "cpu_ms_per_centre": round(spent * 1000 / args.centres, 1),
            "admin_calls_per_centre": round(calls.count / args.centres, 1),
        },
        "ceiling_identity_only": summary(bare),
        "before": before,
        "after": after,
        # kept under their old names for readers of earlier results
        "complaint_before": before["complaint"],
        "complaint_after": after["complaint"],
        "load_average": {"start": load_before, "end": load()},
    }
    print()
    print(
        f"Onboarding a centre (in-process services on SQLite, {args.provider} identity "
        "provider over HTTP)"
    )
    print(
        f"  one centre, onboarded and provisioned everywhere: {first:8.1f} ms "
        f"({first_calls} admin API calls)"
    )
    r = document["in_a_row"]
    print(
        f"  {args.centres} centres in a row: total {r['total_s']:.2f} s; per centre p50 "
        f"{r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms; "
        f"CPU {r['cpu_ms_per_centre']} ms and {r['admin_calls_per_centre']} admin API calls "
        "per centre"
    )
    c = document["ceiling_identity_only"]
    print(
        f"  ceiling (identity provider alone: organization + role groups + admin, every fifth "
        f"centre): p50 {c['p50_ms']} ms, p95 {c['p95_ms']} ms"
    )
    print(f"  the platform's other figures, before / after {args.centres} centres:")
    for key, label in FIGURES.items():
        b, a = before[key], after[key]
        print(
            f"    {label:22} p50 {b['p50_ms']} / {a['p50_ms']} ms, p95 {b['p95_ms']} / "
            f"{a['p95_ms']} ms, CPU {b['cpu_ms']} / {a['cpu_ms']} ms per request"
        )
    print(f"  load average (1, 5, 15 min): {load_before} at the start, {load()} at the end")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"  written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
