"""Fixtures shared by every test folder: the in-process platform on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from alac_cases.tenancy.intake_archive import HttpIntakeArchive
from alac_cli.services import SERVICES, service_module
from alac_kernel.auth.verifier import TokenVerifier
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.settings import Settings
from alac_kernel.testing.alone import migrate
from alac_kernel.testing.harness import TEST_ISSUER, InProcessIssuer, Pump, text_keys_through
from alac_kernel.testing.kafka import KAFKA_TEST_OPTIONS
from alac_kernel.testing.postgres import fresh_database


@dataclass
class Platform:
    """The four services in one process, on one database flavour, with a deterministic pump."""

    flavour: str
    issuer: InProcessIssuer
    apps: dict[str, FastAPI]
    clients: dict[str, TestClient]
    pump: Pump

    def runtime(self, service: str) -> ServiceRuntime:
        return self.apps[service].state.runtime

    def headers(self, username: str, **extra: str) -> dict[str, str]:
        return self.issuer.headers(username, **extra)

    def onboard_demo_tenants(self) -> None:
        """Onboard the demo centres tk and ndi through the registry (POST /v1/tenants), as
        `alac up` does; for tests that need their names or referrals between them. The
        in-process issuer is served on a loopback port meanwhile: python-keycloak needs one."""
        from alac_cli.demo import onboard_demo_tenants
        from alac_kernel.auth.dev_issuer import DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET
        from alac_kernel.identity import IdentityAdmin, IdentitySettings
        from alac_kernel.settings import DEV_REALM
        from alac_kernel.testing.serve import serve_app

        runtime = self.runtime("cases")
        before = runtime.identity
        with serve_app(self.issuer.app) as base:
            runtime.identity = IdentityAdmin(
                IdentitySettings(base, DEV_REALM, DEV_ADMIN_CLIENT, DEV_ADMIN_SECRET)
            )
            try:
                token_url = f"{base}/realms/{DEV_REALM}/protocol/openid-connect/token"
                onboard_demo_tenants(token_url, "", client=self.cases)
            finally:
                runtime.identity = before
        self.pump()

    def name_staff(self, username: str, display_name: str, position: str | None = None) -> str:
        """Put a demo user into cases' staff registry as an invitation does once the identity
        provider made the account (`record_invited`: the registry row and `staff.invited`),
        without an identity provider; the events delivered. Their token subject."""
        from alac_cases.staff.service import record_invited
        from alac_kernel.auth.dev_issuer import DEMO_USERS
        from alac_kernel.db import session_scope

        user = next(u for u in DEMO_USERS if u.username == username)
        subject = self.issuer.dev.subject_of(username)
        runtime = self.runtime("cases")
        with session_scope(runtime.session_factory, tenant=user.tenant) as session:
            record_invited(
                session=session, outbox=runtime.outbox, tenant_id=user.tenant, subject=subject,
                username=username, display_name=display_name, position=position,
                email=f"{username}@{user.tenant}.example.org", office=user.office or "",
                role=user.roles[0], language="ru",
            )  # fmt: skip
        self.pump()
        return subject

    @property
    def intake(self) -> TestClient:
        return self.clients["intake"]

    @property
    def cases(self) -> TestClient:
        return self.clients["cases"]

    @property
    def search(self) -> TestClient:
        return self.clients["search"]

    @property
    def analytics(self) -> TestClient:
        return self.clients["analytics"]


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Apache Kafka broker (KRaft, from `alac engines fetch`) for the whole session.

    Not fetched means the run fails here with the one line that says how to fetch it: a
    skipped Kafka test would look like a passing one in a summary nobody reads.
    """
    with _kafka_engine().run(tmp_path_factory.mktemp("kafka")) as endpoint:
        yield endpoint.settings["ALAC_KAFKA_BOOTSTRAP"]


@pytest.fixture
def kafka_node(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """A broker of the test's own (the fault tests kill it), with a handle to kill and
    restart it on the same port and data."""
    with _kafka_engine().broker(tmp_path_factory.mktemp("kafka-node")) as node:
        yield node


def _kafka_engine():  # type: ignore[no-untyped-def]
    from alac_cli.engines import EngineMissing
    from alac_cli.engines import kafka as kafka_engine

    try:
        kafka_engine.installed()
    except EngineMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    return kafka_engine


def _settings(tmp: Path, database_url: str | None, bus_url: str | None, **bus: object) -> Settings:
    return Settings(
        data_dir=tmp,
        database_url=database_url,
        bus_url=bus_url,
        run_workers=False,
        auth_issuer=TEST_ISSUER,
        consumer_poll_timeout_s=0.01,
        **bus,
    )


@contextlib.contextmanager
def build_platform(
    flavour: str,
    tmp: Path,
    kafka_bootstrap: str | None = None,
    verifier_factory: Callable[[], TokenVerifier] | None = None,
) -> Iterator[Platform]:
    """`verifier_factory`: the services trust another issuer than the in-process development
    issuer (a real Keycloak in tests/tenancy)."""
    issuer = InProcessIssuer(tmp / "keys")
    bus: dict[str, object] = {}
    quiet_rounds, poll_timeout = 2, 0.0
    if kafka_bootstrap:
        # Topics of their own per test, so tests sharing the broker never see each other.
        bus = {
            "bus_backend": "kafka",
            "kafka_bootstrap": kafka_bootstrap,
            "kafka_client_options": KAFKA_TEST_OPTIONS,
            "topic_prefix": f"t{uuid.uuid4().hex[:10]}.",
        }
        quiet_rounds, poll_timeout = 4, 0.3
    with contextlib.ExitStack() as stack:
        if flavour == "postgres":
            bus_url = stack.enter_context(fresh_database("alac_bus"))
            urls = {name: stack.enter_context(fresh_database(f"alac_{name}")) for name in SERVICES}
        else:
            bus_url = None
            urls = dict.fromkeys(SERVICES)
        apps: dict[str, FastAPI] = {}
        clients: dict[str, TestClient] = {}
        for name in SERVICES:
            app = service_module(name).create_app(
                _settings(tmp, urls[name], bus_url, **bus),
                verifier_factory() if verifier_factory else issuer.verifier(),
            )
            migrate(app.state.runtime)  # a copy of a database migrated once per process
            apps[name] = app
            clients[name] = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        text_keys_through(apps, clients["intake"])
        # Cases asks the in-process intake for a tenant's rows when offboarding it.
        apps["cases"].state.runtime.intake_archive = HttpIntakeArchive(clients["intake"])
        pump = Pump(
            [app.state.runtime for app in apps.values()],
            quiet_rounds=quiet_rounds,
            poll_timeout_s=poll_timeout,
        )
        stack.callback(pump.close)
        yield Platform(flavour, issuer, apps, clients, pump)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def platform(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Platform]:
    """The whole platform in-process, once on SQLite and once on PostgreSQL."""
    with build_platform(request.param, tmp_path) as built:
        yield built


@pytest.fixture
def kafka_platform(tmp_path: Path, kafka_bootstrap: str) -> Iterator[Platform]:
    """The platform on SQLite with the Kafka backend against the real Apache Kafka broker."""
    with build_platform("sqlite", tmp_path, kafka_bootstrap=kafka_bootstrap) as built:
        yield built


@pytest.fixture
def sqlite_platform(tmp_path: Path) -> Iterator[Platform]:
    with build_platform("sqlite", tmp_path) as built:
        yield built


@pytest.fixture
def platform_factory():  # type: ignore[no-untyped-def]
    """`build_platform` for tests that need a platform on a broker of their own."""
    return build_platform


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium driven by Playwright, one per session for every browser test (web/tests
    and tests/e2e): Playwright's sync API allows one running instance per thread, so a second
    `sync_playwright()` while this one lives fails ("Sync API inside the asyncio loop")."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make install-system`"
    with sync_playwright() as playwright:
        # launch() gives every run a fresh temporary profile (user-data dir).
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# With pytest-xdist (`make test` runs `-n auto --dist loadgroup`), the tests that need one of
# the heavy engines run on one worker per engine, so each engine's session fixture (a JVM taking
# a core for half a minute or more to start) starts once per run rather than once per worker;
# the web tests' `alac up` with Chromium likewise (web/tests/test_browser*.py name their group,
# "web-browser", in their marks). A test's first matching marker in this order decides. Tests
# marked `e2e` start what they need themselves (processes on free ports, engines of their
# own), so they are not grouped by the engines they start: they spread over the workers.
ENGINE_GROUPS = ("keycloak", "opensearch", "kafka")
# Scheduled first, so that no worker starts a minutes-long test while the other one is
# finishing the short ones: xdist hands out the groups first (the largest first), then the
# other tests in collection order, which puts these markers' tests at its front. `long` marks
# the fast tier's few tests of several seconds each (fuzzers, a 3,000-complaint lookup): at the
# end of a run one of them kept one worker busy while the other had nothing left.
LONG_MARKERS = ("e2e", "slow", "long")


# A test that uses an engine's fixture needs that engine, whether or not its module says so
# (the fast tier, `make test-fast`, deselects by these markers).
ENGINE_FIXTURES = {
    "keycloak_server": "keycloak",
    "kafka_bootstrap": "kafka",
    "kafka_node": "kafka",
    "kafka_platform": "kafka",
    "opensearch_url": "opensearch",
    "browser": "browser",
    # The four services in one process (Platform below): a second or more of set-up each.
    "platform": "platform",
    "sqlite_platform": "platform",
    "platform_factory": "platform",
}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        for fixture in set(getattr(item, "fixturenames", ())) & ENGINE_FIXTURES.keys():
            if item.get_closest_marker(ENGINE_FIXTURES[fixture]) is None:
                item.add_marker(getattr(pytest.mark, ENGINE_FIXTURES[fixture]))
        group = next((m for m in ENGINE_GROUPS if item.get_closest_marker(m)), None)
        if (
            group
            and not item.get_closest_marker("e2e")
            and not item.get_closest_marker("xdist_group")
        ):
            item.add_marker(pytest.mark.xdist_group(group))
    # A stable sort: the order within each of the two parts stays the collection's.
    items.sort(key=lambda item: not any(item.get_closest_marker(m) for m in LONG_MARKERS))
