"""`python -m bench.onboarding`: how long onboarding a centre takes (figure set 8).

The four services run in one process on SQLite with the embedded log (as the in-process
tests run them); the development issuer is served on a loopback port and administered with
python-keycloak, as `make run` does. Measured, wall-clock:

1. one centre: `POST /v1/tenants` (organization, first admin, registry, tenant.onboarded) and
   then every service applying tenant.onboarded (the pump until nothing moves);
2. --centres centres in a row (default 100): per-centre p50 / p95 / max and the total;
3. the ceiling, measured in the same run: the identity provider's part alone (making an
   organization and inviting its admin through the same python-keycloak client), so the
   platform's own cost is what lies between the two;
4. the platform's other work meanwhile: the latency of recording a complaint (intake,
   `POST /v1/complaints`, --complaints requests) before the centres and after them.

Prints the table; writes bench/results/onboarding.json.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

RESULTS = Path(__file__).resolve().parent / "results" / "onboarding.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.onboarding", description=__doc__)
    p.add_argument("--centres", type=int, default=100, help="centres onboarded in a row")
    p.add_argument("--complaints", type=int, default=50, help="complaints timed before/after")
    p.add_argument("--quick", action="store_true", help="5 centres, 10 complaints")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    args = p.parse_args(argv)
    if args.quick:
        args.centres, args.complaints = 5, 10
    if args.centres < 1 or args.complaints < 1:
        p.error("--centres and --complaints must be positive")
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
def platform(tmp: Path) -> Iterator[dict[str, Any]]:
    from alac_cli.services import SERVICES, service_module
    from alac_kernel.auth.dev_issuer import DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET
    from alac_kernel.identity import IdentityAdmin, IdentitySettings
    from alac_kernel.settings import DEV_REALM, Settings
    from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer, Pump, text_keys_through
    from alac_kernel.testing.serve import serve_app

    issuer = InProcessIssuer(tmp / "keys")
    with contextlib.ExitStack() as stack:
        apps = {}
        clients = {}
        for name in SERVICES:
            settings = Settings(
                data_dir=tmp, run_workers=False, auth_issuer=TEST_ISSUER, log_level="WARNING"
            )
            app = service_module(name).create_app(settings, issuer.verifier())
            app.state.runtime.migrate()
            apps[name] = app
            clients[name] = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        text_keys_through(apps, clients["intake"])  # complaint text keys from intake
        pump = Pump([a.state.runtime for a in apps.values()])
        stack.callback(pump.close)
        base = stack.enter_context(serve_app(issuer.app))
        identity = IdentityAdmin(
            IdentitySettings(base, DEV_REALM, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET)
        )
        apps["cases"].state.runtime.identity = identity
        yield {"issuer": issuer, "clients": clients, "pump": pump, "identity": identity}


def time_complaints(world: dict[str, Any], n: int) -> list[float]:
    headers = {"Authorization": f"Bearer {world['issuer'].token('vera')}"}
    took = []
    for i in range(n):
        started = time.perf_counter()
        response = world["clients"]["intake"].post(
            "/v1/complaints",
            json={"channel": "hotline", "crux": f"Требуют деньги за справку {i}."},
            headers=headers,
        )
        took.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.text
    world["pump"]()
    return took


def onboard_one(world: dict[str, Any], body: dict[str, Any], headers: dict[str, str]) -> float:
    started = time.perf_counter()
    response = world["clients"]["cases"].post("/v1/tenants", json=body, headers=headers)
    if response.status_code != 201:
        raise RuntimeError(f"onboarding {body['id']} refused: {response.text}")
    world["pump"]()
    return (time.perf_counter() - started) * 1000


def ceiling(world: dict[str, Any], n: int, run: str) -> list[float]:
    """The identity provider's part alone, through the same client."""
    identity = world["identity"]
    took = []
    for i in range(n):
        started = time.perf_counter()
        identity.ensure_organization(f"k{run}-{i}", f"Ceiling {run} {i}")
        identity.ensure_role_groups(f"k{run}-{i}")  # onboarding's identity steps, in order
        identity.invite(
            f"k{run}-{i}", username=f"ceiling-{run}-{i}", email=f"c{i}@k{run}.example.org",
            first_name="C", last_name="Eiling", office="main", role="tenant-admin",
        )  # fmt: skip
        took.append((time.perf_counter() - started) * 1000)
    return took


def summary(values: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(percentile(values, 50), 1),
        "p95_ms": round(percentile(values, 95), 1),
        "max_ms": round(max(values), 1),
        "mean_ms": round(statistics.fmean(values), 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    run = uuid.uuid4().hex[:4]
    with (
        tempfile.TemporaryDirectory(prefix="alac-bench-onboarding-") as tmp,
        platform(Path(tmp)) as world,
    ):
        admin = {"Authorization": f"Bearer {world['issuer'].token('pavel')}"}
        before = time_complaints(world, args.complaints)
        first = onboard_one(world, centre(0, run), admin)
        started = time.perf_counter()
        row = [onboard_one(world, centre(i, run), admin) for i in range(1, args.centres + 1)]
        total_s = time.perf_counter() - started
        after = time_complaints(world, args.complaints)
        bare = ceiling(world, min(args.centres, 20), run)
    document = {
        "centres": args.centres,
        "one_centre_ms": round(first, 1),
        "in_a_row": {**summary(row), "total_s": round(total_s, 2)},
        "ceiling_identity_only": summary(bare),
        "complaint_before": summary(before),
        "complaint_after": summary(after),
    }
    print()
    print("Onboarding a centre (in-process services on SQLite, development issuer over HTTP)")
    print(f"  one centre, onboarded and provisioned everywhere: {first:8.1f} ms")
    r = document["in_a_row"]
    print(
        f"  {args.centres} centres in a row: total {r['total_s']:.2f} s; per centre p50 "
        f"{r['p50_ms']} ms, p95 {r['p95_ms']} ms, max {r['max_ms']} ms"
    )
    c = document["ceiling_identity_only"]
    print(
        f"  ceiling (identity provider alone: organization + role groups + admin): p50 {c['p50_ms']} ms, "
        f"p95 {c['p95_ms']} ms"
    )
    b, a = document["complaint_before"], document["complaint_after"]
    print(
        f"  recording a complaint before: p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms; after "
        f"{args.centres} centres: p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"  written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
