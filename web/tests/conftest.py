"""The platform as `alac up` starts it (issuer, four services and the web front end, real
processes on free ports) and Debian's Chromium driven by Playwright, shared by the web tests.

The platform's mail goes to a mail catcher run here (a real SMTP server on loopback), which
refuses every address at `refused_domain` for good (550), so a test can make an e-mail fail.

Playwright never downloads a browser here: it drives /usr/bin/chromium (the `chromium`
Debian package, installed by `make install-system`)."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from alac_kernel.mailcatcher import MailCatcher
from alac_kernel.testing.processes import env_for, free_port_base, start, wait_for

sys.path.insert(0, str(Path(__file__).parent))  # browser_helpers (pytest runs in importlib mode)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
REFUSED_DOMAIN = "refused.example"


@dataclass(frozen=True)
class Platform:
    web: str
    intake: str
    cases: str
    search: str
    issuer: str
    mail: MailCatcher
    refused_domain: str = REFUSED_DOMAIN  # the mail catcher refuses every address there

    def token(self, user: str) -> str:
        response = httpx.post(
            f"{self.issuer}/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "alac-cli",
                "username": user,
                "password": "demo" + user,
            },
        )
        response.raise_for_status()
        return response.json()["access_token"]


@pytest.fixture(scope="session")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    root = tmp_path_factory.mktemp("web-platform")
    data, log = root / "data", root / "up.log"
    base = free_port_base()
    mail = MailCatcher(root / "mail", refused_domains={REFUSED_DOMAIN}).start()
    env = env_for(data, ALAC_SMTP_HOST=mail.host, ALAC_SMTP_PORT=str(mail.port))
    supervisor = start(["up", "--data", str(data), "--port-base", str(base), "--no-demo"], env, log)
    try:

        def started() -> bool:
            assert supervisor.poll() is None, log.read_text()
            return "Ctrl-C stops everything" in log.read_text()

        wait_for(started, 180, "alac up to start", interval_s=0.3)
        yield Platform(
            web=f"http://127.0.0.1:{base}",
            intake=f"http://127.0.0.1:{base + 1}",
            cases=f"http://127.0.0.1:{base + 2}",
            search=f"http://127.0.0.1:{base + 4}",
            issuer=f"http://127.0.0.1:{base + 90}/realms/alac-dev",
            mail=mail,
        )
    finally:
        supervisor.send_signal(signal.SIGINT)
        try:
            supervisor.wait(timeout=60)
        except subprocess.TimeoutExpired:
            supervisor.kill()
            supervisor.wait()
        mail.stop()


@pytest.fixture
def shot(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """Save a full-page screenshot as a test artifact (web/tests/artifacts, git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str) -> Path:  # type: ignore[no-untyped-def]
        path = ARTIFACTS / f"{request.node.name}-{name}.png".replace("/", "_")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
