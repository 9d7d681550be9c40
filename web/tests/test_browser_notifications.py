"""The console's notification bell in Debian's Chromium against the platform as `alac up`
starts it: a lawyer with N unread notifications sees N on the bell, reads one, then all, and
the bell goes to 0; a new one appears on the bell without a reload (htmx) where JavaScript
runs, and the bell is a plain link where it does not. The list and the preferences form are
axe-clean (WCAG 2.1 AA) in kk, ru and en; every request goes to the front end's own host.
A tenant admin sees a complainant's progress e-mail that the mail server refused, by complaint
and never by address, axe-clean in kk, ru and en, and retries it without JavaScript."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from browser_helpers import axe_violations, sign_in

from alac_kernel.testing.processes import wait_for
from alac_web.staff import claims_of

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("web-browser")]

LOCALES = Path(__file__).resolve().parents[1] / "src" / "alac_web" / "locales"


def t(lang: str, key: str, **values: object) -> str:
    text = json.loads((LOCALES / f"notifications.{lang}.json").read_text("utf-8"))[key]
    return text.format(**values) if values else text


def api(platform, user: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {platform.token(user)}"}


def unread(platform, user: str) -> int:  # type: ignore[no-untyped-def]
    answer = httpx.get(f"{platform.cases}/v1/notifications", headers=api(platform, user))
    answer.raise_for_status()
    return answer.json()["unread"]


def assign_to_lena(platform, count: int) -> None:  # type: ignore[no-untyped-def]
    """`count` new cases assigned to lena by the coordinator, through the services' APIs;
    back when her notifications are there."""
    subject = claims_of(platform.token("lena"))["sub"]  # what cases records as assignee
    added = httpx.post(f"{platform.cases}/v1/staff", headers=api(platform, "tamara"),
                       json={"subject": subject, "office": "almaty", "role": "lawyer"})  # fmt: skip
    assert added.status_code in (200, 201, 409), added.text
    before = unread(platform, "lena")
    for _ in range(count):
        marker = uuid.uuid4().hex[:8]
        created = httpx.post(
            f"{platform.intake}/v1/complaints", headers=api(platform, "vera"),
            json={"channel": "walk_in", "crux": f"Судья требует деньги. {marker}",
                  "request_type": "case"},
        )  # fmt: skip
        assert created.status_code == 201, created.text

        def opened() -> dict | None:
            found = httpx.get(f"{platform.cases}/v1/cases", headers=api(platform, "kazbek"),
                              params={"complaint_id": created.json()["id"]}).json()  # fmt: skip
            return found["items"][0] if found.get("items") else None

        case = wait_for(opened, 30, "the case to open", interval_s=0.3)
        assigned = httpx.post(f"{platform.cases}/v1/cases/{case['id']}/assignment",
                              headers=api(platform, "kazbek"),
                              json={"assignee": subject, "version": case["version"]})  # fmt: skip
        assert assigned.status_code in (200, 201), assigned.text
    wait_for(lambda: unread(platform, "lena") == before + count, 30,
             "lena's notifications", interval_s=0.3)  # fmt: skip


def bell_count(page) -> str:  # type: ignore[no-untyped-def]
    return page.get_attribute("#bell", "data-unread")


def test_a_lawyer_sees_the_bell_go_from_n_to_0_after_reading(platform, browser, shot) -> None:
    assign_to_lena(platform, 3)
    n = unread(platform, "lena")
    assert n >= 3
    context = browser.new_context()
    page = context.new_page()
    hosts: set[str] = set()
    try:
        sign_in(page, platform, "lena", "/staff?lang=ru")  # on the issuer's own page
        page.on("request", lambda request: hosts.add(urlsplit(request.url).netloc))
        page.reload()
        assert bell_count(page) == str(n)
        assert page.inner_text("#bell .count") == str(n)
        shot(page, "bell")
        page.click("#bell")
        page.wait_for_url(f"{platform.web}/staff/notifications")
        page.click("li.notification.unread form button")  # read the newest one
        page.wait_for_selector("main .notice[role=status]")
        assert bell_count(page) == str(n - 1)
        page.click("#read-all")
        page.wait_for_selector("main .notice[role=status]")
        assert t("ru", "notify.done.all") in page.inner_text("main")
        assert bell_count(page) == "0"
        assert page.locator("#bell .count").count() == 0
        assert unread(platform, "lena") == 0
        shot(page, "read")

        # A new one: the bell says so without a reload when htmx refreshes it.
        assign_to_lena(platform, 1)
        page.evaluate("() => window.dispatchEvent(new Event('focus'))")
        page.wait_for_function("() => document.querySelector('#bell').dataset.unread === '1'")
        assert page.inner_text("#bell .count") == "1"
    finally:
        context.close()
    assert hosts == {urlsplit(platform.web).netloc}

    # Without JavaScript the bell is a link with the count, rendered by the server.
    plain = browser.new_context(java_script_enabled=False)
    page = plain.new_page()
    try:
        sign_in(page, platform, "lena", "/staff/cases?lang=en")
        assert bell_count(page) == "1"
        page.click("#bell")
        page.wait_for_url(f"{platform.web}/staff/notifications")
        page.click("#read-all")
        page.wait_for_url(lambda url: "done=all" in url)
        assert bell_count(page) == "0"
    finally:
        plain.close()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_axe_finds_no_violation_on_the_notification_pages(platform, browser, shot, lang) -> None:
    assign_to_lena(platform, 1)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list] = {}
    try:
        sign_in(page, platform, "lena", f"/staff/notifications?lang={lang}")
        assert t(lang, "notify.title") in page.inner_text("main h1")
        shot(page, f"notifications-{lang}")
        found["list"] = axe_violations(page)
        page.goto(f"{platform.web}/staff/notifications/preferences?lang={lang}")
        page.fill("#quiet_start", "22:00")
        page.fill("#quiet_end", "")  # one of two times: refused, said next to it
        page.click("main form button[type=submit]")
        page.wait_for_selector("#quiet_end-error")
        assert t(lang, "notify.error.both") in page.inner_text("#quiet_end-error")
        shot(page, f"preferences-{lang}")
        found["preferences"] = axe_violations(page)
        page.goto(f"{platform.web}/staff/notifications/preferences?lang={lang}")
        page.fill("#quiet_start", "22:00")
        page.fill("#quiet_end", "07:00")
        page.click("main form button[type=submit]")
        page.wait_for_selector("main .notice[role=status]")
        assert page.input_value("#quiet_end") == "07:00"
    finally:
        context.close()
    assert found == {"list": [], "preferences": []}


def failed_complainant_mail(platform) -> dict:  # type: ignore[no-untyped-def]
    """A complainant who asked for progress e-mails, at an address the platform's mail server
    refuses for good: once her case opens, the e-mail has failed. Back with its list item."""
    created = httpx.post(
        f"{platform.intake}/v1/complaints", headers=api(platform, "vera"),
        json={"channel": "hotline", "crux": f"Полиция не регистрирует заявление. {uuid.uuid4()}",
              "request_type": "case", "preferred_language": "ru", "safe_to_contact": True,
              "contact": {"name": "Айгерим", "email": f"aigerim@{platform.refused_domain}"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    complaint_id = created.json()["id"]

    def failed() -> dict | None:
        found = httpx.get(f"{platform.intake}/v1/complainant-mail/failed",
                          headers=api(platform, "tamara")).json()  # fmt: skip
        return next((i for i in found["items"] if i["complaint_id"] == complaint_id), None)

    return wait_for(failed, 60, "the complainant's e-mail to fail", interval_s=0.5)


def test_a_tenant_admin_sees_and_retries_a_complainants_failed_e_mail(
    platform, browser, shot
) -> None:
    item = failed_complainant_mail(platform)
    assert item["state"] == "failed" and item["retryable"] and "550" in item["last_error"]
    row = f'tr[data-complainant-mail="{item["id"]}"]'
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list] = {}
    try:
        sign_in(page, platform, "tamara", "/staff/notifications?lang=ru")
        for lang in ("kk", "ru", "en"):
            page.goto(f"{platform.web}/staff/notifications?lang={lang}")
            assert t(lang, "notify.complainant.title") in page.inner_text("#complainant-mail h2")
            cells = page.inner_text(row)
            assert t(lang, "notify.complainant.reference",
                     reference=item["complaint_reference"]) in cells  # fmt: skip
            assert "case.opened" in cells and "550" in cells
            assert platform.refused_domain not in page.content()  # never the address
            shot(page, f"complainant-mail-{lang}")
            found[lang] = axe_violations(page)
    finally:
        context.close()
    assert found == {"kk": [], "ru": [], "en": []}

    # Without JavaScript: "Retry now" is a plain form; the server refuses it again.
    plain = browser.new_context(java_script_enabled=False)
    page = plain.new_page()
    try:
        sign_in(page, platform, "tamara", "/staff/notifications?lang=en")
        page.click(f"{row} button[type=submit]")
        page.wait_for_url(lambda url: "done=retried" in url)
        assert t("en", "notify.done.retried") in page.inner_text("main .notice[role=status]")
    finally:
        plain.close()

    def failed_again() -> bool:
        found = httpx.get(f"{platform.intake}/v1/complainant-mail/failed",
                          headers=api(platform, "tamara")).json()  # fmt: skip
        # Not listed while the worker is sending it.
        again = next((i for i in found["items"] if i["id"] == item["id"]), None)
        return again is not None and again["state"] == "failed" and again["attempts"] == 2

    wait_for(failed_again, 60, "the retried e-mail to be tried once more", interval_s=0.5)
    assert not any(platform.refused_domain in m["X-Catcher-To"] for m in platform.mail.messages())
