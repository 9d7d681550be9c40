"""The public pages in a real browser (Debian's Chromium through Playwright) against the
platform as `alac up` starts it: a citizen files a complaint in each language, with and
without JavaScript, sees the errors next to the fields in their language, gets the receipt
code once and follows the complaint up with it. axe-core (the pinned npm file) checks WCAG 2.1
AA on every page; every request stays on the front end's own host; the first page is small.

Intake limits the web form to 20 submissions per hour per address, and every browser here is
127.0.0.1: the whole module submits 15 times."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from browser_helpers import axe_violations

from alac_kernel.testing.openapi_authorize import authorize_and_try_triage, try_triage
from alac_kernel.testing.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("web-browser")]

HERE = Path(__file__).resolve().parent
LOCALES = HERE.parent / "src" / "alac_web" / "locales"
ARTIFACTS = HERE / "artifacts"
Platform = object  # the conftest fixture's type, for the annotations
CODE = re.compile(r"^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$")
FORM = "/t/tk/almaty/complaint"
CRUX = {
    "kk": "Мектеп директоры баланы бірінші сыныпқа қабылдау үшін пара талап етті.",
    "ru": "Директор школы требует взятку за зачисление ребёнка в первый класс.",
    "en": "The school director demands a bribe to enrol my child in the first grade.",
}


def t(lang: str, key: str) -> str:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))[key]


def new_page(browser, *, javascript: bool = True, bypass_csp: bool = False):  # type: ignore[no-untyped-def]
    context = browser.new_context(java_script_enabled=javascript, bypass_csp=bypass_csp)
    return context, context.new_page()


def submit_complaint(page, platform: Platform, lang: str, **fields: str) -> str:  # type: ignore[no-untyped-def]
    """Fill and send the form; return the receipt code shown."""
    page.goto(f"{platform.web}{FORM}?lang={lang}")
    page.fill("#crux", fields.get("crux", CRUX[lang]))
    if fields.get("anonymous"):
        page.check("#anonymous")
    for name in ("name", "phone", "email"):
        if name in fields:
            page.fill(f"#{name}", fields[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"**{FORM}/receipt")
    code = page.inner_text("#receipt-code").strip()
    assert CODE.match(code), code
    return code


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_citizen_files_a_complaint_in_each_language(
    platform: Platform, browser, shot, lang: str
) -> None:
    context, page = new_page(browser)
    try:
        page.goto(f"{platform.web}{FORM}?lang={lang}")
        assert page.get_attribute("html", "lang") == lang
        assert page.inner_text("h1") == t(lang, "complaint.title")
        # The anonymous option is explained in plain words before the box is ticked.
        assert t(lang, "anonymous.point2") in page.inner_text("fieldset.anon")
        shot(page, "form")
        code = submit_complaint(page, platform, lang, anonymous="yes")
        assert page.inner_text("h1") == t(lang, "receipt.title")
        assert t(lang, "receipt.use1") in page.inner_text("main")
        # With JavaScript the copy and print buttons appear and copying works.
        assert page.is_visible("button[data-copy]") and page.is_visible("button[data-print]")
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.click("button[data-copy]")
        page.wait_for_function("document.querySelector('[role=status]').textContent.length > 0")
        assert page.evaluate("navigator.clipboard.readText()") == code
        shot(page, "receipt")
        # Shown once: coming back to the page does not show it again.
        page.reload()
        assert page.inner_text("h1") == t(lang, "receipt.gone.title")
        assert code not in page.content()
    finally:
        context.close()


def test_the_form_works_with_javascript_switched_off(platform: Platform, browser, shot) -> None:
    context, page = new_page(browser, javascript=False)
    try:
        code = submit_complaint(
            page, platform, "ru", name="Айгуль", phone="+7 701 123 45 67", email="a@example.kz"
        )
        assert not page.is_visible("button[data-copy]")  # nothing that needs a script
        assert page.is_visible("text=" + t("ru", "receipt.nojs"))
        shot(page, "receipt-nojs")
        assert CODE.match(code)
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_errors_are_shown_next_to_the_field_in_the_chosen_language(
    platform: Platform, browser, shot, lang: str
) -> None:
    context, page = new_page(browser, javascript=False)
    try:
        page.goto(f"{platform.web}{FORM}?lang={lang}")
        page.fill("#crux", "   ")
        page.fill("#help_requested", "kept after the error")
        page.fill("#email", "not-an-address")
        page.click("button[type=submit]")
        # The messages come from intake's problem+json field errors, in the visitor's words.
        assert page.inner_text("#crux-error").endswith(t(lang, "error.field.crux"))
        assert page.inner_text("#email-error").endswith(t(lang, "error.field.email"))
        assert page.get_attribute("#crux", "aria-invalid") == "true"
        assert "crux-error" in page.get_attribute("#crux", "aria-describedby")
        assert page.input_value("#help_requested") == "kept after the error"
        assert page.inner_text("#summary h2") == t(lang, "error.summary")
        assert page.title().startswith(t(lang, "error.title_prefix"))
        shot(page, "errors")
    finally:
        context.close()


def test_anonymous_with_contact_details_is_explained_at_the_contact_fields(
    platform: Platform, browser
) -> None:
    context, page = new_page(browser)
    try:
        page.goto(f"{platform.web}{FORM}?lang=kk")
        page.fill("#crux", CRUX["kk"])
        page.check("#anonymous")
        page.fill("#phone", "+7 701 000 00 00")
        page.click("button[type=submit]")
        assert page.inner_text("#contact-error").endswith(t("kk", "error.field.contact"))
        # With JavaScript the keyboard focus moves to the error summary.
        assert page.evaluate("document.activeElement.id") == "summary"
        assert page.is_checked("#anonymous")
    finally:
        context.close()


def test_the_form_can_be_filled_and_sent_with_the_keyboard_only(
    platform: Platform, browser
) -> None:
    context, page = new_page(browser)
    try:
        page.goto(f"{platform.web}{FORM}?lang=en")

        def tab_to(selector: str, limit: int = 40) -> None:
            for _ in range(limit):
                page.keyboard.press("Tab")
                if page.evaluate(f"document.activeElement.matches({selector!r})"):
                    return
            raise AssertionError(f"{selector} cannot be reached with Tab")

        tab_to("a.skip")  # the first stop is the skip link
        tab_to("#crux")
        page.keyboard.type(CRUX["en"])
        tab_to("#anonymous")
        page.keyboard.press("Space")
        tab_to("button[type=submit]")
        page.keyboard.press("Enter")
        page.wait_for_url(f"**{FORM}/receipt")
        assert CODE.match(page.inner_text("#receipt-code").strip())
    finally:
        context.close()


def test_follow_up_with_the_receipt_code_in_kazakh_without_javascript(
    platform: Platform, browser, shot
) -> None:
    context, page = new_page(browser, javascript=False)
    try:
        marker = f"kk{uuid.uuid4().hex[:10]}"
        code = submit_complaint(
            page, platform, "kk", anonymous="yes", crux=f"{CRUX['kk']} Белгі: {marker}."
        )
        # A wrong code: the error is next to the field, in Kazakh.
        page.goto(f"{platform.web}/follow-up?lang=kk")
        page.fill("#code", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")
        page.click("button[type=submit]")
        assert page.inner_text("#code-error").endswith(t("kk", "followup.code.unknown"))
        # The centre answers through the staff API.
        complaint_id = complaint_id_of(platform, marker)
        staff = {"Authorization": f"Bearer {platform.token('lena')}"}
        answer = httpx.post(
            f"{platform.intake}/v1/complaints/{complaint_id}/messages",
            headers=staff,
            json={"body": "Сәлеметсіз бе! Төлем түбіртегінің көшірмесін жіберіңізші."},
        )
        assert answer.status_code == 201, answer.text
        # The code is typed in small letters: it still works.
        page.fill("#code", code.lower())
        page.click("button[type=submit]")
        page.wait_for_url("**/follow-up")
        assert "follow-up" in page.url and code not in page.url  # never in an address
        status = page.get_attribute("[data-status]", "data-status")
        assert page.inner_text("[data-status]") == t("kk", f"status.{status}")
        assert "Төлем түбіртегінің" in page.inner_text(".msg.to_complainant")
        page.fill("#body", "Қосымша құжаттарды қалай жіберуге болады?")
        page.click("#conversation button[type=submit]")
        page.wait_for_url("**/follow-up?done=sent")
        assert t("kk", "followup.done.sent") in page.inner_text("#conversation")
        assert "Қосымша құжаттарды" in page.inner_text(".msg.from_complainant")
        shot(page, "status")
    finally:
        context.close()


def test_follow_up_reads_the_centres_answer_replies_in_place_and_withdraws(
    platform: Platform, browser, shot
) -> None:
    context, page = new_page(browser)
    try:
        marker = f"ru{uuid.uuid4().hex[:10]}"
        code = submit_complaint(
            page, platform, "ru", anonymous="yes", crux=f"{CRUX['ru']} Метка: {marker}."
        )
        page.goto(f"{platform.web}/follow-up?lang=ru")
        page.fill("#code", code)
        page.click("button[type=submit]")
        page.wait_for_url("**/follow-up")
        assert t("ru", "followup.no_messages") in page.inner_text("#conversation")
        complaint_id = complaint_id_of(platform, marker)
        staff = {"Authorization": f"Bearer {platform.token('lena')}"}
        answer = httpx.post(
            f"{platform.intake}/v1/complaints/{complaint_id}/messages",
            headers=staff,
            json={"body": "Здравствуйте! Пришлите, пожалуйста, копию квитанции об оплате."},
        )
        assert answer.status_code == 201, answer.text
        page.reload()
        assert "копию квитанции" in page.inner_text(".msg.to_complainant")
        assert t("ru", "followup.from.to_complainant") in page.inner_text(".msg.to_complainant")
        # With JavaScript the reply is sent by htmx and the conversation updates in place.
        page.evaluate("window.__same_document = true")
        page.fill("#body", "Копию пришлю завтра.")
        page.click("#conversation button[type=submit]")
        page.wait_for_selector(".msg.from_complainant")
        assert page.evaluate("window.__same_document === true"), "the page was reloaded"
        assert "Копию пришлю завтра." in page.inner_text(".msg.from_complainant")
        messages = httpx.get(
            f"{platform.intake}/v1/complaints/{complaint_id}/messages", headers=staff
        ).json()
        assert [m["direction"] for m in messages] == ["to_complainant", "from_complainant"]
        shot(page, "conversation")
        # Withdrawal needs the explicit confirmation.
        page.click(".withdraw button[type=submit]")
        assert page.inner_text("#withdraw-error").endswith(
            t("ru", "followup.withdraw.confirm_missing")
        )
        page.check("#confirm")
        page.click(".withdraw button[type=submit]")
        page.wait_for_url("**/follow-up?done=withdrawn")
        assert page.inner_text("[data-status]") == t("ru", "status.withdrawn")
        # Finishing forgets the code on this device.
        page.click("text=" + t("ru", "followup.leave"))
        page.wait_for_selector("#code")
    finally:
        context.close()


def complaint_id_of(platform, marker: str, channel: str = "web_form") -> str:  # type: ignore[no-untyped-def]
    """The id of the complaint whose text carries `marker`, found as staff find it: search."""
    staff = {"Authorization": f"Bearer {platform.token('lena')}"}

    def hit() -> str | None:
        found = httpx.get(f"{platform.search}/v1/search", params={"q": marker}, headers=staff)
        items = found.json().get("items", []) if found.status_code == 200 else []
        return items[0]["id"] if len(items) == 1 and items[0]["channel"] == channel else None

    return wait_for(hit, 30, f"the complaint {marker} in search", interval_s=0.3)


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_axe_finds_no_wcag_21_aa_violation_on_any_page(
    platform: Platform, browser, lang: str
) -> None:
    # axe is injected as a script: the test context alone lifts the page's CSP for it.
    context, page = new_page(browser, bypass_csp=True)
    found: dict[str, list[dict]] = {}
    try:
        pages = {
            "home": "/",
            "form": FORM,
            "follow-up": "/follow-up",
            "not-found": "/t/x/y/complaint",
        }
        for name, path in pages.items():
            page.goto(f"{platform.web}{path}?lang={lang}")
            found[name] = axe_violations(page)
        page.goto(f"{platform.web}{FORM}?lang={lang}")
        page.click("button[type=submit]")  # empty: the page with errors
        page.wait_for_selector("#crux-error")
        found["form-errors"] = axe_violations(page)
        page.goto(f"{platform.web}/follow-up?lang={lang}")
        page.click("button[type=submit]")
        page.wait_for_selector("#code-error")
        found["follow-up-errors"] = axe_violations(page)
    finally:
        context.close()
    assert {name: v for name, v in found.items() if v} == {}


def test_axe_on_the_receipt_and_the_follow_up_status(platform: Platform, browser) -> None:
    context, page = new_page(browser, bypass_csp=True)
    try:
        code = submit_complaint(page, platform, "en", anonymous="yes")
        receipt = axe_violations(page)
        page.goto(f"{platform.web}/follow-up?lang=en")
        page.fill("#code", code)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-status]")
        status = axe_violations(page)
    finally:
        context.close()
    assert receipt == [] and status == []


def test_nothing_loads_from_another_host_and_the_csp_holds(platform: Platform, browser) -> None:
    context, page = new_page(browser)
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    try:
        page.goto(f"{platform.web}/?lang=en")
        page.click(f"a[href^='{FORM}']")
        page.wait_for_selector("#crux")
        page.click("a[hreflang=kk]")
        page.wait_for_selector("html[lang=kk]")
        page.goto(f"{platform.web}/follow-up")
        response = page.goto(f"{platform.web}{FORM}")
        assert "default-src 'self'" in response.headers["content-security-policy"]
        # htmx ran (it needs no eval and adds no inline style under this CSP).
        assert page.evaluate("typeof htmx") == "object"
    finally:
        context.close()
    others = [u for u in requested if not u.startswith(platform.web + "/")]
    assert requested and others == []
    assert problems == []


def test_the_first_page_is_small(platform: Platform, browser) -> None:
    """What a phone on a slow connection downloads for the complaint form, cache empty:
    the HTML, the stylesheet, htmx and the page script, compressed, headers included."""
    context, page = new_page(browser)
    transfers: list[tuple[str, int]] = []
    page.on(
        "requestfinished",
        lambda r: transfers.append(
            (r.url, r.sizes()["responseBodySize"] + r.sizes()["responseHeadersSize"])
        ),
    )
    try:
        page.goto(f"{platform.web}{FORM}?lang=kk", wait_until="load")
        page.wait_for_function("typeof htmx === 'object'")
    finally:
        context.close()
    total = sum(size for _, size in transfers)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "first-page-size.txt").write_text(
        "\n".join(f"{size:>8}  {url}" for url, size in transfers) + f"\n{total:>8}  total\n"
    )
    print(f"first page transferred: {total} bytes in {len(transfers)} requests")
    assert any(url.endswith("/vendor/htmx.min.js") for url, _ in transfers)
    assert total < 100_000


def sign_in(page, platform, username: str, next_path: str = "/staff") -> None:  # type: ignore[no-untyped-def]
    """Through the real sign-in: the front end sends the browser to the issuer's form.
    (The page needs a context with bypass_csp for axe.)"""
    page.goto(f"{platform.web}{next_path}")
    page.wait_for_selector("#username")
    assert page.url.startswith(platform.issuer + "/protocol/openid-connect/auth")
    assert axe_violations(page) == []  # the sign-in form too
    page.fill("#username", username)
    page.fill("#password", "demo" + username)
    page.click("button[type=submit]")
    target = platform.web + next_path.split("?")[0]
    page.wait_for_url(lambda url: url.split("?")[0] == target)


def test_a_volunteer_records_a_hotline_call_from_the_keyboard(
    platform: Platform, browser, shot
) -> None:
    context, page = new_page(browser, bypass_csp=True)
    try:
        sign_in(page, platform, "vera", "/staff/complaints/new?lang=ru")
        assert not [c for c in context.cookies() if "eyJ" in c["value"]], "no token in a cookie"
        assert axe_violations(page) == []
        marker = f"hot{uuid.uuid4().hex[:10]}"
        page.focus("#channel")  # the first field; from here on only the keyboard
        page.keyboard.press("Tab")  # the caller's language
        page.keyboard.press("Tab")
        page.keyboard.type(f"Директор школы требует деньги за аттестат. {marker}")
        page.keyboard.press("Tab")
        page.keyboard.type("Консультация юриста")
        for _ in range(4):  # request type, area, anonymous, name
            page.keyboard.press("Tab")
        page.keyboard.type("Асель")
        page.keyboard.press("Tab")
        page.keyboard.type("+7 701 222 33 44")
        shot(page, "typed")
        page.keyboard.press("Enter")  # submits the form
        page.wait_for_selector("#receipt-code")
        assert CODE.match(page.inner_text("#receipt-code").strip())
        assert t("ru", "staff.entry.read_out") in page.inner_text("main")
        shot(page, "recorded")
        assert complaint_id_of(platform, marker, "hotline")
    finally:
        context.close()


def test_a_lawyer_signs_in_and_moves_a_case_from_triage(platform: Platform, browser, shot) -> None:
    marker = f"law{uuid.uuid4().hex[:10]}"
    vera = {"Authorization": f"Bearer {platform.token('vera')}"}
    created = httpx.post(
        f"{platform.intake}/v1/complaints",
        headers=vera,
        json={"channel": "walk_in", "crux": f"Судебный пристав не исполняет решение. {marker}"},
    )
    assert created.status_code == 201, created.text
    complaint_id_of(platform, marker, "walk_in")  # the case is open once search has it
    context, page = new_page(browser, bypass_csp=True)
    try:
        sign_in(page, platform, "lena", "/staff/cases?lang=kk&status=triage")
        assert axe_violations(page) == []
        page.click(f"text={marker}")
        page.wait_for_selector("[data-case-status=triage]")
        assert axe_violations(page) == []
        shot(page, "case")
        page.check("#to-assessment")
        page.fill("#reason", "Құжаттар алынды")
        page.click("form[aria-labelledby=move-title] button[type=submit]")
        page.wait_for_selector("[data-case-status=assessment]")
        assert t("kk", "staff.case.moved") in page.inner_text("main")
        assert "Құжаттар алынды" in page.inner_text(".history")
        shot(page, "moved")
        page.click("text=" + t("kk", "staff.sign_out"))
        page.wait_for_url("**/staff/signed-out")
        page.goto(f"{platform.web}/staff/cases")
        page.wait_for_selector("#username")  # signed out: back to the sign-in form
    finally:
        context.close()


@pytest.mark.parametrize(
    ("lang", "javascript"), [("kk", False), ("kk", True), ("ru", True), ("en", True)]
)
def test_the_complainant_gives_consent_on_the_follow_up_page_and_the_lawyer_acts(
    platform: Platform, browser, shot, lang: str, javascript: bool
) -> None:
    """The case waits for consent; the complainant answers yes on the follow-up page; cases
    records the consent as a new version; the lawyer moves the case to in_action."""
    marker = f"cons{uuid.uuid4().hex[:10]}"
    vera = {"Authorization": f"Bearer {platform.token('vera')}"}
    created = httpx.post(
        f"{platform.intake}/v1/complaints", headers=vera,
        json={"channel": "hotline", "crux": f"{CRUX[lang]} {marker}",
              "contact": {"name": "Aigul", "phone": "+7 701 555 66 77"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    complaint_id, code = created.json()["id"], created.json()["receipt_code"]
    lena = {"Authorization": f"Bearer {platform.token('lena')}"}

    def case_of() -> dict | None:
        items = httpx.get(f"{platform.cases}/v1/cases", params={"limit": 200}, headers=lena).json()[
            "items"
        ]
        return next((c for c in items if c["complaint_id"] == complaint_id), None)

    case = wait_for(case_of, 30, "the case to open", interval_s=0.3)
    version = case["version"]
    for to_status in ("assessment", "awaiting_consent"):
        moved = httpx.post(
            f"{platform.cases}/v1/cases/{case['id']}/transitions", headers=lena,
            json={"to_status": to_status, "reason": "needs a letter", "version": version},
        )  # fmt: skip
        assert moved.status_code == 200, moved.text
        version = moved.json()["version"]

    context, page = new_page(browser, javascript=javascript, bypass_csp=True)
    try:
        page.goto(f"{platform.web}/follow-up?lang={lang}")
        page.fill("#code", code)
        page.click("button[type=submit]")
        page.wait_for_url("**/follow-up")

        def waiting() -> bool:  # intake learns the status from the case events
            page.reload()
            return page.get_attribute("[data-status]", "data-status") == "awaiting_your_consent"

        wait_for(waiting, 30, "the follow-up page to ask for consent", interval_s=0.5)
        assert t(lang, "followup.consent.formal_action") in page.inner_text("#consent")
        if javascript:  # axe-core is a script: it runs where JavaScript does
            assert axe_violations(page) == []
        shot(page, "asked")
        page.check("#formal_action-yes")  # a click on the label or the radio: both work
        page.click("#consent button[type=submit]")
        page.wait_for_url("**/follow-up?done=consent")
        assert t(lang, "followup.done.consent") in page.inner_text("main")
        assert page.is_checked("#formal_action-yes")
        shot(page, "answered")
    finally:
        context.close()

    def consents() -> list | None:
        found = httpx.get(f"{platform.cases}/v1/cases/{case['id']}/consents", headers=lena).json()
        return found or None

    (given,) = wait_for(consents, 30, "the consent in cases", interval_s=0.3)
    assert (given["scopes"], given["how_given"], given["withdrawn"]) == (
        ["formal_action"], "intake_record", False,
    )  # fmt: skip
    context, page = new_page(browser, bypass_csp=True)
    try:
        sign_in(page, platform, "lena", f"/staff/cases/{case['id']}?lang={lang}")
        page.wait_for_selector("[data-case-status=awaiting_consent]")
        page.check("#to-in_action")
        page.fill("#reason", "consent given on the follow-up page")
        page.click("form[aria-labelledby=move-title] button[type=submit]")
        page.wait_for_selector("[data-case-status=in_action]")
        # The case page shows the consent record and the timeline, axe-clean.
        assert page.get_attribute("tr[data-scope=formal_action]", "data-given") == "yes"
        assert page.get_attribute("tr[data-scope=media]", "data-given") == "no"
        assert page.locator(".history li[data-kind=consent]").count() == 1
        assert axe_violations(page) == []
        shot(page, "in-action")
    finally:
        context.close()
    after = httpx.get(f"{platform.cases}/v1/cases/{case['id']}", headers=lena).json()
    assert after["status"] == "in_action"


@pytest.mark.parametrize(
    "port_offset", [1, 2, 3, 4], ids=["intake", "cases", "analytics", "search"]
)
def test_the_openapi_pages_work_offline_and_offer_authorize(
    platform: Platform, browser, shot, port_offset: int
) -> None:
    """Each service's /docs renders Swagger UI from the service's own assets (this browser
    has no outside network: a CDN asset would leave the page blank) and shows Authorize,
    whose dialog asks for the bearer token."""
    base = platform.web.rsplit(":", 1)[0]
    origin = f"{base}:{int(platform.web.rsplit(':', 1)[1]) + port_offset}"
    context, page = new_page(browser)
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        page.goto(f"{origin}/docs", wait_until="networkidle")
        page.wait_for_selector(".swagger-ui .info .title")
        assert page.locator("button.authorize").count() == 1
        page.click("button.authorize")
        page.wait_for_selector(".auth-container input")
        assert "bearer" in page.inner_text(".modal-ux")
        shot(page, "authorize")
    finally:
        context.close()
    others = [u for u in requested if not u.startswith(origin + "/")]
    assert requested and others == [], others
    assert f"{origin}/docs/assets/swagger-ui-bundle.js" in requested
    assert f"{origin}/openapi.json" in requested


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_files_go_with_the_complaint_without_javascript_and_later_on_follow_up(
    platform: Platform, browser, shot
) -> None:
    """A multipart POST from the plain form (JavaScript off): the PDF is attached, the
    program refused with the reason on the receipt page; a file sent later on the
    follow-up page (JavaScript on) joins it. Staff download what was sent."""
    marker = f"att{uuid.uuid4().hex[:10]}"
    context, page = new_page(browser, javascript=False)
    try:
        page.goto(f"{platform.web}{FORM}?lang=ru")
        page.fill("#crux", f"{CRUX['ru']} {marker}")
        page.check("#anonymous")
        page.set_input_files(
            "#files",
            [
                {"name": "квитанция.pdf", "mimeType": "application/pdf", "buffer": PDF_BYTES},
                {"name": "setup.exe", "mimeType": "application/x-msdownload",
                 "buffer": b"MZ\x90\x00" + b"\x00" * 60},
            ],
        )  # fmt: skip
        shot(page, "chosen")
        page.click("button[type=submit]")
        page.wait_for_url(f"**{FORM}/receipt")
        code = page.inner_text("#receipt-code").strip()
        files = page.inner_text(".files")
        assert "квитанция.pdf — " + t("ru", "receipt.file.attached") in files
        refused = t("ru", "receipt.file.refused").format(reason=t("ru", "file.reason.type"))
        assert "setup.exe — " + refused in files
        shot(page, "receipt")
    finally:
        context.close()
    context, page = new_page(browser)
    try:
        page.goto(f"{platform.web}/follow-up?lang=ru")
        page.fill("#code", code)
        page.click("button[type=submit]")
        page.wait_for_url("**/follow-up")
        page.set_input_files(
            "#file", {"name": "справка.txt", "mimeType": "text/plain",
                      "buffer": "Справка из акимата.\n".encode()},
        )  # fmt: skip
        page.click(".attach button[type=submit]")
        page.wait_for_url("**/follow-up?done=attached")
        assert t("ru", "followup.done.attached") in page.inner_text("main")
    finally:
        context.close()
    complaint_id = complaint_id_of(platform, marker)
    staff = {"Authorization": f"Bearer {platform.token('lena')}"}
    listed = httpx.get(
        f"{platform.intake}/v1/complaints/{complaint_id}/attachments", headers=staff
    ).json()
    assert [(a["filename"], a["content_type"]) for a in listed] == [
        ("квитанция.pdf", "application/pdf"), ("справка.txt", "text/plain"),
    ]  # fmt: skip
    pdf = httpx.get(
        f"{platform.intake}/v1/complaints/{complaint_id}/attachments/{listed[0]['id']}",
        headers=staff,
    )
    assert pdf.content == PDF_BYTES


def test_authorize_on_the_openapi_page_sends_the_token_with_try_it_out(
    platform: Platform, browser
) -> None:
    """Authorize with a token from the issuer, then "Try it out" on an operation that needs
    one: the request carries the token and cases answers 200 (without it, 401)."""
    origin = platform.cases
    token = platform.token("lena")
    context, page = new_page(browser)
    sent: list[tuple[str, str | None]] = []
    page.on("request", lambda r: sent.append((r.url, r.headers.get("authorization"))))
    try:
        page.goto(f"{origin}/docs", wait_until="networkidle")
        page.click("button.authorize")
        page.fill(".auth-container input", token)
        page.click(".auth-btn-wrapper button.authorize")
        page.click(".auth-btn-wrapper button.btn-done")
        status = try_triage(page)
    finally:
        context.close()
    calls = [(url, auth) for url, auth in sent if "/v1/triage" in url]
    assert calls and calls[-1][1] == f"Bearer {token}"
    assert status.startswith("200")


def test_authorize_on_the_openapi_page_signs_in_on_the_issuer_with_pkce(
    platform: Platform, browser, shot
) -> None:
    """Authorize by the OAuth2 scheme: the issuer's sign-in page opens (client `alac-docs`,
    PKCE S256), the issuer sends the browser back to the service's own /docs/oauth2-redirect,
    the page exchanges the code (a cross-origin POST the issuer allows) and "Try it out" sends
    the token it got: cases answers 200."""

    def sign_in(popup) -> None:
        popup.wait_for_selector("#username")  # the development issuer's form
        popup.fill("#username", "lena")
        popup.fill("#password", "demolena")
        popup.click("button[type=submit]")

    context, _ = new_page(browser)
    try:
        authorize_and_try_triage(context, platform.cases, platform.issuer, sign_in, shot)
    finally:
        context.close()
