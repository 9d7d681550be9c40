""" "Authorize" on a service's OpenAPI page in a real browser, for the tests of the development
issuer (web/tests) and of Keycloak (the production-profile e2e test): the same page, the same
client (`alac-docs`, PKCE S256) and the same checks; only the sign-in form differs.

Functions take Playwright objects without importing Playwright, so the kernel does not depend
on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt


def try_triage(page: Any) -> str:
    """ "Try it out" on `GET /v1/triage` and execute
    it; the status line the page shows (e.g. "200")."""
    page.click(
        ".opblock-get:has(.opblock-summary-path[data-path='/v1/triage']) .opblock-summary-control"
    )
    page.click("button.try-out__btn")
    page.click("button.execute")
    page.wait_for_selector(".live-responses-table tbody .response-col_status")
    return str(page.inner_text(".live-responses-table tbody .response-col_status")).strip()


def authorize_and_try_triage(
    context: Any,
    service: str,
    issuer: str,
    sign_in: Callable[[Any], None],
    shot: Callable[[Any, str], None] | None = None,
) -> None:
    """Open `service`'s /docs, Authorize by the `oidc` scheme, let `sign_in(popup)` fill the
    identity provider's form and submit it (the popup closes once the redirect page has handed
    the code over), then "Try it out" on `/v1/triage`. Asserts what the page asked the issuer
    for, one code exchange, and that the service answered 200 to the token the page got."""
    sent: list[tuple[str, str | None]] = []
    context.on("request", lambda r: sent.append((r.url, r.headers.get("authorization"))))
    page = context.new_page()
    page.goto(f"{service}/docs", wait_until="networkidle")
    page.click("button.authorize")
    oauth = page.locator(".auth-container", has_text="alac-docs")
    oauth.wait_for()
    assert "PKCE" in oauth.inner_text()
    assert oauth.locator("input[id^=client_id]").input_value() == "alac-docs"
    if shot:
        shot(page, "schemes")
    with page.expect_popup() as opened:
        oauth.locator(".auth-btn-wrapper button.authorize").click()
    popup = opened.value
    popup.wait_for_load_state()
    assert popup.url.startswith(f"{issuer}/protocol/openid-connect/auth"), popup.url
    query = parse_qs(urlsplit(popup.url).query)
    assert query["client_id"] == ["alac-docs"]
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{service}/docs/oauth2-redirect"]
    with popup.expect_event("close"):  # the redirect page hands the code over, closes
        sign_in(popup)
    # signed in: the scheme offers Logout
    page.locator(".modal-ux").get_by_role("button", name="Remove authorization").wait_for()
    if shot:
        shot(page, "signed-in")
    page.click(".auth-btn-wrapper button.btn-done")
    status = try_triage(page)

    exchanged = [u for u, _ in sent if u == f"{issuer}/protocol/openid-connect/token"]
    assert len(exchanged) == 1, exchanged
    calls = [auth for url, auth in sent if url.startswith(f"{service}/v1/triage")]
    assert calls and calls[-1] and calls[-1].startswith("Bearer ey")
    claims = jwt.decode(calls[-1].split(" ", 1)[1], options={"verify_signature": False})
    assert (claims["azp"], claims["preferred_username"]) == ("alac-docs", "lena")
    assert claims["iss"] == issuer
    assert status.startswith("200"), status
