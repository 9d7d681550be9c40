"""`alac up --profile production` as an operator runs it: the engines (PostgreSQL, Apache Kafka,
Keycloak, OpenSearch, Prometheus) started from the project's own fetch, the four services on
them with ALAC_PROFILE=production, the demo data loaded with tokens from Keycloak; one
complaint followed to a case, a search hit and a count; Prometheus scraping every service."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import tempfile
import uuid
from pathlib import Path

import httpx
import pytest

from alac_cli.demo import DEMO_COMPLAINTS
from alac_cli.engines import ENGINE_NAMES, available
from alac_cli.engines.base import free_port
from alac_cli.services import SERVICES
from alac_kernel.testing.openapi_authorize import authorize_and_try_triage
from alac_kernel.testing.processes import (
    ALAC,
    ROOT,
    children_of,
    env_for,
    free_port_base,
    start,
    wait_for,
)

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.postgres,
    pytest.mark.kafka,
    pytest.mark.keycloak,
    pytest.mark.opensearch,
    pytest.mark.prometheus,
    # First start of Keycloak and OpenSearch on two loaded cores takes minutes.
    pytest.mark.timeout(1200),
]


def _require_every_engine_module() -> None:
    missing = [name for name in ENGINE_NAMES if name not in set(available())]
    if missing:
        # Fail, never skip: the production profile is not there until every engine is.
        pytest.fail(
            f"engine module(s) missing: {', '.join(f'alac_cli.engines.{m}' for m in missing)}",
            pytrace=False,
        )


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _serves(pid: int) -> bool:
    """An `alac serve <service>` process (the engines are the supervisor's children too)."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    return b"alac_cli.main" in argv and argv[argv.index(b"alac_cli.main") + 1 :][:1] == [b"serve"]


def _lawyer_works_the_case_in_the_browser(
    browser, web: str, issuer: str, case_id: str, shots: Path
) -> None:
    """Debian's Chromium (the session's, as web/tests): the staff console sends the browser to
    Keycloak's login page (the realm's `alac-web` client, PKCE), back with the session, then
    the case moved from triage on the case page, search, and sign-out."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{web}/staff/cases/{case_id}?lang=ru")
        page.wait_for_selector("#kc-login")  # Keycloak's own form, not the dev issuer's
        assert page.url.startswith(f"{issuer}/protocol/openid-connect/auth")
        page.fill("#username", "lena")
        if not page.is_visible("#password"):  # organizations on: the username first
            page.click("#kc-login")
            page.wait_for_selector("#password")
        page.fill("#password", "demolena")
        page.click("#kc-login")
        page.wait_for_selector("[data-case-status=triage]")
        assert page.url.startswith(f"{web}/staff/cases/{case_id}")
        page.check("#to-assessment")
        page.fill("#reason", "Проверено юристом")
        page.click("form[aria-labelledby=move-title] button[type=submit]")
        page.wait_for_selector("[data-case-status=assessment]")
        assert "Проверено юристом" in page.inner_text(".history")
        shots.mkdir(exist_ok=True)
        page.screenshot(path=str(shots / "production-case.png"), full_page=True)
        page.goto(f"{web}/staff/search?q=исполнитель&lang=ru")
        page.wait_for_selector("ol.hits")
        assert "<mark>" in page.inner_html("ol.hits")
        page.click("text=Выйти")
        page.wait_for_url("**/staff/signed-out")  # through Keycloak's end-session endpoint
        assert not [c for c in page.context.cookies() if c["name"] == "alac_session"]
        # Keycloak's single sign-on session ended too: the console asks for the password.
        page.goto(f"{web}/staff")
        page.wait_for_selector("#kc-login")
    finally:
        context.close()


def _authorize_on_the_openapi_page_with_keycloak(browser, service: str, issuer: str) -> None:
    """A service's /docs on the production profile: "Authorize" by the `oidc` scheme opens
    Keycloak's own login page (the realm's `alac-docs` client, PKCE S256), Keycloak sends the
    browser back to the service's /docs/oauth2-redirect, the page redeems the code (a
    cross-origin POST Keycloak allows for the client's web origins), and "Try it out" sends
    the token it got: the service answers 200."""

    def sign_in(popup) -> None:
        popup.wait_for_selector("#kc-login")  # Keycloak's form, not the dev issuer's
        popup.fill("#username", "lena")
        if not popup.is_visible("#password"):  # organizations on: the username first
            popup.click("#kc-login")
            popup.wait_for_selector("#password")
        popup.fill("#password", "demolena")
        popup.click("#kc-login")

    context = browser.new_context()
    try:
        authorize_and_try_triage(context, service, issuer, sign_in)
    finally:
        context.close()


def _password_token(token_url: str, user: str) -> str:
    response = httpx.post(
        token_url,
        data={
            "grant_type": "password",
            "client_id": "alac-cli",
            "username": user,
            "password": "demo" + user,
        },
        timeout=30,
    )
    assert response.status_code == 200, f"Keycloak refused {user}: {response.text}"
    return response.json()["access_token"]


@pytest.fixture
def data() -> Path:
    """A data folder outside pytest's 0700 temporary tree: PostgreSQL runs as the `postgres`
    user (Debian's package), which must be able to reach its cluster under it."""
    folder = Path(tempfile.mkdtemp(prefix="alac-production-e2e-"))
    folder.chmod(0o755)
    yield folder / "data"
    shutil.rmtree(folder, ignore_errors=True)


def test_production_profile_end_to_end(tmp_path: Path, data: Path, browser) -> None:
    _require_every_engine_module()
    base = free_port_base()
    log = tmp_path / "up.log"
    # Ports of our own, so a developer's running `alac up --profile production` is left alone.
    env = env_for(
        data,
        **{
            f"ALAC_{name}_PORT": str(free_port())
            for name in ("PG", "KAFKA", "KEYCLOAK", "OPENSEARCH", "PROMETHEUS")
        },
    )
    supervisor = start(
        ["up", "--profile", "production", "--data", str(data), "--port-base", str(base)],
        env,
        log,
    )
    try:

        def banner() -> str | None:
            text = log.read_text()
            assert supervisor.poll() is None, (
                f"alac up --profile production exited:\n{text[-5000:]}"
            )
            return text if "Ctrl-C stops the services" in text else None

        text = wait_for(banner, 1100, "alac up --profile production to start", interval_s=1)
        issuer = re.search(r"alac token vera --issuer (\S+)", text).group(1)
        prometheus = re.search(r"^\s+prometheus\s+(http://\S+)", text, re.M).group(1)
        assert "/realms/alac-dev" not in issuer, "tokens come from Keycloak, not the dev issuer"
        assert f"Loaded {len(DEMO_COMPLAINTS)} demo complaints." in text

        # Each service runs the production profile on its own PostgreSQL database and Kafka.
        services = {pid: _environ(pid) for pid in children_of(supervisor.pid) if _serves(pid)}
        by_service = {
            env_["ALAC_DATABASE_URL"].rsplit("/", 1)[1]: env_ for env_ in services.values()
        }
        assert set(by_service) == {f"alac_{name}" for name in SERVICES}
        for service_env in by_service.values():
            assert service_env["ALAC_PROFILE"] == "production"
            assert service_env["ALAC_BUS_BACKEND"] == "kafka"
            assert service_env["ALAC_AUTH_ISSUER"] == issuer
            assert "ALAC_POSTGRES_ADMIN_URL" not in service_env
            assert "ALAC_KEYCLOAK_ADMIN_PASSWORD_FILE" not in service_env

        intake, cases, analytics, search = (f"http://127.0.0.1:{base + i}" for i in (1, 2, 3, 4))
        token_url = f"{issuer}/protocol/openid-connect/token"
        volunteer = {"Authorization": f"Bearer {_password_token(token_url, 'vera')}"}
        coordinator = {"Authorization": f"Bearer {_password_token(token_url, 'kazbek')}"}
        lawyer = {"Authorization": f"Bearer {_password_token(token_url, 'lena')}"}
        before = httpx.get(f"{analytics}/v1/stats/summary", headers=coordinator).json()["total"]

        key = f"e2e-production-{uuid.uuid4().hex}"
        created = httpx.post(
            f"{intake}/v1/complaints",
            headers={**volunteer, "Idempotency-Key": key},
            json={
                "channel": "hotline",
                "request_type": "case",
                "area": "judicial_system",
                "crux": "Судебный исполнитель годами не исполняет решение суда о выселении.",
            },
            timeout=30,
        )
        assert created.status_code == 201, created.text
        complaint_id = created.json()["id"]

        case = wait_for(
            lambda: next(
                (
                    c
                    for c in httpx.get(f"{cases}/v1/cases", headers=volunteer).json()["items"]
                    if c["complaint_id"] == complaint_id
                ),
                None,
            ),
            60,
            "the case to open",
            interval_s=0.5,
        )
        assert case["status"] == "triage"
        hit = wait_for(
            lambda: [
                h
                for h in httpx.get(
                    f"{search}/v1/search", params={"q": "исполнитель"}, headers=lawyer
                ).json()["items"]
                if h["id"] == complaint_id
            ],
            60,
            "the search hit",
            interval_s=0.5,
        )
        assert len(hit) == 1
        wait_for(
            lambda: (
                httpx.get(f"{analytics}/v1/stats/summary", headers=coordinator).json()["total"]
                == before + 1
            ),
            60,
            "the statistics to count it",
            interval_s=0.5,
        )

        for name, url in zip(SERVICES, (intake, cases, analytics, search), strict=True):
            ready = httpx.get(f"{url}/readyz", timeout=10).json()
            assert ready["status"] == "ok", (name, ready)

        # Partner registration works on this profile: intake creates the client in Keycloak
        # as the realm's `alac-admin` (ALAC_IDENTITY_ADMIN_*), and the partner gets a token.
        tenant_admin = {"Authorization": f"Bearer {_password_token(token_url, 'tamara')}"}
        client_id = f"e2e-partner-{uuid.uuid4().hex[:8]}"
        registered = httpx.post(
            f"{intake}/v1/partners",
            headers=tenant_admin,
            json={"client_id": client_id, "name": "E2E partner"},
            timeout=60,
        )
        assert registered.status_code == 201, registered.text
        grant = httpx.post(
            token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": registered.json()["client_secret"],
            },
            timeout=30,
        )
        assert grant.status_code == 200, grant.text

        # Prometheus scrapes every service: each job's target is up, and the complaint's
        # request is in intake's counter as Prometheus sees it.
        def targets_up() -> dict[str, str] | None:
            active = httpx.get(f"{prometheus}/api/v1/targets", timeout=10).json()["data"]
            health = {t["labels"]["job"]: t["health"] for t in active["activeTargets"]}
            return health if health and set(health.values()) == {"up"} else None

        health = wait_for(targets_up, 60, "Prometheus to scrape every service", interval_s=1)
        assert set(health) == set(SERVICES)

        def intake_posts_scraped() -> float | None:
            result = httpx.get(
                f"{prometheus}/api/v1/query",
                params={
                    "query": 'sum(alac_http_requests_total{job="intake", route="/v1/complaints", method="POST"})'
                },
                timeout=10,
            ).json()["data"]["result"]
            # The demo complaints and ours, once a scrape after our POST has landed.
            count = float(result[0]["value"][1]) if result else 0.0
            return count if count >= len(DEMO_COMPLAINTS) + 1 else None

        assert wait_for(intake_posts_scraped, 60, "intake's POSTs in Prometheus", interval_s=1)

        # The web front end runs too, its address first in the banner; a lawyer signs in on
        # Keycloak's own login page and works the case in the browser.
        web = re.search(r"^\s+web\s+(http://\S+)", text, re.M).group(1)
        assert text.index(web) < text.index(intake)
        _lawyer_works_the_case_in_the_browser(
            browser, web, issuer, case["id"], ROOT / "web" / "tests" / "artifacts"
        )
        _authorize_on_the_openapi_page_with_keycloak(browser, cases, issuer)

        supervisor.send_signal(signal.SIGINT)
        assert supervisor.wait(timeout=60) == 0
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
            supervisor.wait()
        # The engines outlive `alac up` by design; the test stops what it started.
        subprocess.run(
            [*ALAC, "engines", "down", "--data", str(data)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            timeout=300,
            check=False,
        )
