"""`python -m bench.pages`: server time of the web front end's three busiest staff pages at
100,000 complaints (figure set 6).

1. Build the platform in one process as the tests do (intake, cases and search on SQLite in a
   temporary folder, the development issuer, the web front end over them through in-process
   transports: what is timed is the servers' work, not a network).
2. Load N complaints: the cases table and the search index straight in bulk from the search
   bench's seeded corpus (bench/search_corpus.py: realistic text, offices, statuses), plus one
   complaint filed through intake's API and followed to a case with messages, a consent, a
   deadline and a letter of support: the case page measured is a full one.
3. Sign a lawyer in through the code flow, then time --requests GETs of each page after
   --warmup untimed ones: the triage queue (`/staff/triage`), the case page
   (`/staff/cases/{id}`) and search (`/staff/search?q=` two words: the hits; then its facet
   counts, which the page loads in a second request, and both in one request as without
   JavaScript, `?facets=1`); p50 and p95
   nearest-rank, and the process's CPU time per request (the servers' own cost, steadier than
   wall-clock time on a shared machine). Beside them the ceiling measured in the same run: the staff home page, which
   goes through the same session, template and middleware and calls no service (but the
   header bell's unread count, kept 20 seconds per session), so it is the best any page can do
   here.
4. Print the table; write bench/results/pages.json.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.search import TWO_WORDS, percentile
from bench.search_corpus import documents

RESULTS = Path(__file__).resolve().parent / "results" / "pages.json"
TARGET_P95_MS = 100.0
PAGES = ("triage", "case", "search")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench.pages",
        description="Server time per page of the staff console (triage, case page, search).",
    )
    p.add_argument("--complaints", type=int, default=100_000, help="default 100,000")
    p.add_argument("--quick", action="store_true", help="2,000 complaints, 20 requests a page")
    p.add_argument("--requests", type=int, help="timed requests per page (default 200)")
    p.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    p.add_argument("--output", type=Path, default=RESULTS, help="JSON output")
    args = p.parse_args(argv)
    if args.quick:
        args.complaints = 2_000
        args.requests = args.requests or 20
        args.warmup = min(args.warmup, 5)
    args.requests = args.requests or 200
    if args.complaints < 1 or args.requests < 1:
        p.error("--complaints and --requests must be positive")
    return args


class Platform:
    """intake, cases, search and the web front end in this process, on SQLite in `folder`."""

    def __init__(self, folder: Path) -> None:
        import httpx
        from fastapi.testclient import TestClient

        from alac_cli.services import service_module
        from alac_kernel.settings import Settings
        from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer, Pump
        from alac_web.app import create_app
        from alac_web.settings import WebSettings

        self.issuer = InProcessIssuer(folder / "keys")
        self.apps: dict[str, Any] = {}
        self.clients: dict[str, Any] = {}
        for name in ("intake", "cases", "search"):
            settings = Settings(data_dir=folder, run_workers=False, auth_issuer=TEST_ISSUER,
                                consumer_poll_timeout_s=0.01)  # fmt: skip
            app = service_module(name).create_app(settings, self.issuer.verifier())
            app.state.runtime.migrate()
            self.apps[name] = app
            self.clients[name] = TestClient(app, raise_server_exceptions=True).__enter__()
        from alac_kernel.testing.harness import text_keys_through

        text_keys_through(self.apps, self.clients["intake"])  # complaint text keys from intake
        self.pump = Pump([a.state.runtime for a in self.apps.values()], quiet_rounds=2,
                         poll_timeout_s=0.0)  # fmt: skip
        web = create_app(
            WebSettings(intake_url="http://intake.test", cases_url="http://cases.test",
                        search_url="http://search.test", issuer_url=TEST_ISSUER,
                        data_dir=folder / "web"),
            intake_transport=httpx.ASGITransport(app=self.apps["intake"]),
            cases_transport=httpx.ASGITransport(app=self.apps["cases"]),
            search_transport=httpx.ASGITransport(app=self.apps["search"]),
            issuer_transport=httpx.ASGITransport(app=self.issuer.app),
        )  # fmt: skip
        self.web = TestClient(web, base_url="http://127.0.0.1").__enter__()

    def headers(self, user: str) -> dict[str, str]:
        return self.issuer.headers(user)

    def close(self) -> None:
        self.web.__exit__(None, None, None)
        for client in self.clients.values():
            client.__exit__(None, None, None)
        self.pump.close()

    def sign_in(self, username: str) -> None:
        start = self.web.get("/staff/login?next=/staff", follow_redirects=False)
        authorize = urlsplit(start.headers["location"])
        params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
        answer = self.issuer.client.post(
            authorize.path, data={**params, "username": username, "password": "demo" + username},
            follow_redirects=False,
        )  # fmt: skip
        back = urlsplit(answer.headers["location"])
        done = self.web.get(f"/staff/callback?{back.query}", follow_redirects=False)
        assert done.status_code == 303, done.text


def load(platform: Platform, n: int, batch: int = 10_000) -> dict[str, Any]:
    """The corpus into cases (one row per complaint that has a case) and into search's index."""
    from alac_cases.case.models import Case
    from alac_kernel.db import session_scope

    engine = platform.apps["search"].state.search_engine
    cases_runtime = platform.apps["cases"].state.runtime
    started, loaded, case_rows = time.perf_counter(), 0, 0
    docs = documents(n)
    while chunk := list(islice(docs, batch)):
        engine.apply_many(chunk)
        rows = [
            {"id": f["case_id"], "tenant_id": tenant, "complaint_id": complaint_id,
             "office": f["office"], "status": f["status"], "channel": f["channel"],
             "request_type": "case", "area": f["area"], "anonymous": False, "crux": f["crux"],
             "received_at": datetime.fromisoformat(f["received_at"]),
             "opened_at": datetime.fromisoformat(f["received_at"]), "version": 1,
             "assignee": f.get("assignee")}
            for tenant, complaint_id, _, f in chunk if "case_id" in f
        ]  # fmt: skip
        with session_scope(cases_runtime.session_factory, all_tenants=True) as session:
            session.execute(Case.__table__.insert(), rows)
        loaded += len(chunk)
        case_rows += len(rows)
        if loaded % (batch * 5) == 0:
            print(f"  loaded {loaded:,} complaints", flush=True)
    engine.optimize()
    seconds = time.perf_counter() - started
    print(f"loaded {loaded:,} complaints ({case_rows:,} cases) in {seconds:.1f} s", flush=True)
    return {"complaints": loaded, "cases": case_rows, "seconds": round(seconds, 1)}


def full_case(platform: Platform) -> str:
    """One complaint filed through intake and worked on: the case page measured."""
    p = platform
    created = p.clients["intake"].post(
        "/v1/complaints", headers=p.headers("vera"),
        json={"channel": "hotline", "request_type": "case", "area": "police",
              "crux": "Участковый требует деньги за регистрацию заявления.",
              "contact": {"phone": "+77010001122"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    complaint_id, code = created.json()["id"], created.json()["receipt_code"]
    p.pump()
    cases = p.clients["cases"]
    (case,) = cases.get("/v1/cases", params={"complaint_id": complaint_id},
                        headers=p.headers("lena")).json()["items"]  # fmt: skip
    path = f"/v1/cases/{case['id']}"

    def post(suffix: str, body: dict[str, Any]) -> None:
        version = cases.get(path, headers=p.headers("lena")).json()["version"]
        r = cases.post(f"{path}/{suffix}", json={**body, "version": version},
                       headers=p.headers("lena"))  # fmt: skip
        assert r.status_code in (200, 201), r.text

    post("transitions", {"to_status": "assessment", "reason": "in mandate"})
    post("transitions", {"to_status": "awaiting_consent", "reason": "a letter is needed"})
    post("consents", {"scopes": ["formal_action", "documents_to_authorities"]})
    post("transitions", {"to_status": "in_action", "reason": "consent signed"})
    post("letters", {"language": "ru", "authority": "Прокуратура", "facts": "Факты.",
                     "legal_assessment": "Оценка.", "request": "Проверить."})  # fmt: skip
    deadline = cases.post(f"{path}/deadlines", headers=p.headers("lena"),
                          json={"due_on": str(date.today() + timedelta(days=10))})  # fmt: skip
    assert deadline.status_code == 201, deadline.text
    for body in ("Есть новости?", "Прислать документы?"):
        p.clients["intake"].post("/v1/follow-up/messages", json={"body": body},
                                 headers={"Receipt-Code": code})  # fmt: skip
    p.pump()
    return case["id"]


def measure(platform: Platform, name: str, paths: list[str], warmup: int) -> dict[str, Any]:
    times: list[float] = []
    cpu_s = 0.0
    for i, path in enumerate(paths):
        t0, c0 = time.perf_counter(), time.process_time()
        response = platform.web.get(path)
        elapsed_ms = (time.perf_counter() - t0) * 1000
        cpu = time.process_time() - c0
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        if i >= warmup:
            times.append(elapsed_ms)
            cpu_s += cpu
    return {
        # CPU time of this process (every server and thread is in it) per request: what the
        # page costs, much less moved by other work on the machine than the wall-clock time.
        "cpu_ms": round(cpu_s * 1000 / len(times), 2),
        "page": name,
        "requests": len(times),
        "p50_ms": round(percentile(times, 50), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "max_ms": round(max(times), 2),
        "example": paths[-1],
    }


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        f"{'page':<34} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'cpu ms':>8}"
    ]
    for r in results:
        lines.append(
            f"{r['label']:<34} {r['requests']:>8} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} "
            f"{r['max_ms']:>8.1f} {r['cpu_ms']:>8.1f}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    platform = Platform(folder)
    try:
        loading = load(platform, args.complaints)
        case_id = full_case(platform)
        platform.sign_in("lena")
        rng = random.Random(13)
        count = args.warmup + args.requests
        plans = {
            "ceiling": ["/staff?lang=ru"] * count,
            "triage": ["/staff/triage?lang=ru"] * count,
            "case": [f"/staff/cases/{case_id}?lang=ru"] * count,
            "search": [f"/staff/search?lang=ru&q={rng.choice(TWO_WORDS)}" for _ in range(count)],
            # The facet counts, which the search page loads in a second request (htmx), and
            # the page with them in one request (?facets=1: without JavaScript; what the
            # search page cost before the split).
            "search_facets": [f"/staff/search/facets?lang=ru&q={rng.choice(TWO_WORDS)}"
                              for _ in range(count)],
            "search_inline": [f"/staff/search?lang=ru&facets=1&q={rng.choice(TWO_WORDS)}"
                              for _ in range(count)],
        }  # fmt: skip
        labels = {
            "ceiling": "ceiling: /staff (no service call)",
            "triage": "triage queue /staff/triage",
            "case": "case page /staff/cases/{id}",
            "search": "search /staff/search?q=",
            "search_facets": "  its facets /staff/search/facets",
            "search_inline": "  both at once ?facets=1 (no JS)",
        }
        results = []
        for name, paths in plans.items():
            result = measure(platform, name, paths, args.warmup)
            results.append({**result, "label": labels[name]})
    finally:
        platform.close()
    return {"loading": loading, "pages": results}


def main(argv: list[str] | None = None) -> int:
    from bench import report

    args = parse_args(argv)
    m = report.machine()
    print(
        f"ALAC page bench: web front end over intake, cases and search (SQLite, in one "
        f"process) on {m['cpus_usable']} CPUs ({m['cpu_model'] or 'unknown CPU'}), "
        f"Python {m['python']}, load average {m['loadavg']}",
        flush=True,
    )
    folder = Path(tempfile.mkdtemp(prefix="alac-pages-bench-"))
    try:
        document = run(args, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    document["machine"] = m
    document["machine"]["loadavg_at_end"] = report.machine()["loadavg"]
    document["complaints"] = args.complaints
    document["at"] = datetime.now(UTC).isoformat()
    print()
    print(table(document["pages"]))
    missed = [r["page"] for r in document["pages"] if r["page"] in PAGES
              and r["p95_ms"] >= TARGET_P95_MS]  # fmt: skip
    verdict = "met" if not missed else f"MISSED by {', '.join(missed)}"
    print(
        f"\ntarget: p95 under {TARGET_P95_MS:.0f} ms for triage, case page and search: "
        f"{verdict} (at {args.complaints:,} complaints)"
    )
    report.write_json(args.output, document)
    print(f"JSON written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
