"""What the in-process staff console tests share: the front end over the real issuer, intake,
cases and search apps of the root conftest's `sqlite_platform`, the sign-in through the
issuer's form, the form token, and a complaint with its case."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from fastapi.testclient import TestClient

from alac_kernel.testing.harness import TEST_ISSUER
from alac_web.app import create_app
from alac_web.settings import WebSettings

WEB = "http://127.0.0.1"


def make_web(p, tmp_path: Path, **settings) -> TestClient:  # type: ignore[no-untyped-def]
    """The front end over the platform's apps (every service, the issuer), in-process."""
    app = create_app(
        WebSettings(
            intake_url="http://intake.test", cases_url="http://cases.test",
            search_url="http://search.test", analytics_url="http://analytics.test",
            issuer_url=TEST_ISSUER, data_dir=tmp_path / "web", **settings,
        ),
        intake_transport=httpx.ASGITransport(app=p.apps["intake"]),
        cases_transport=httpx.ASGITransport(app=p.apps["cases"]),
        search_transport=httpx.ASGITransport(app=p.apps["search"]),
        analytics_transport=httpx.ASGITransport(app=p.apps["analytics"]),
        issuer_transport=httpx.ASGITransport(app=p.issuer.app),
    )  # fmt: skip
    return TestClient(app, base_url=WEB)


def sign_in(web, username: str, next_path: str = "/staff", draft: str | None = None):  # type: ignore[no-untyped-def]
    """Through the issuer's form with the demo password; the front end's callback answer."""
    start = web.get(f"/staff/login?draft={draft}" if draft else f"/staff/login?next={next_path}",
                    follow_redirects=False)  # fmt: skip
    authorize = urlsplit(start.headers["location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    answer = web.platform.issuer.client.post(
        authorize.path, data={**params, "username": username, "password": "demo" + username},
        follow_redirects=False,
    )  # fmt: skip
    back = urlsplit(answer.headers["location"])
    return web.get(f"/staff/callback?{back.query}", follow_redirects=False)


def as_user(web, username: str) -> None:  # type: ignore[no-untyped-def]
    web.cookies.clear()
    assert sign_in(web, username).status_code == 303


def token_of(page: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]+)"', page).group(1)


def file_complaint(p, crux: str, **extra) -> tuple[dict, str]:  # type: ignore[no-untyped-def]
    """A complaint recorded by vera, and its case (opened by the pump), with the receipt code."""
    created = p.intake.post(
        "/v1/complaints", headers=p.headers("vera"),
        json={"channel": "hotline", "crux": crux, "request_type": "case", **extra},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    p.pump()
    (case,) = p.cases.get(
        "/v1/cases", params={"complaint_id": created.json()["id"]}, headers=p.headers("lena")
    ).json()["items"]
    return case, created.json()["receipt_code"]


def open_case(p, crux: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    return file_complaint(p, crux, **extra)[0]
