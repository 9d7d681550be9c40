"""The staff console in Debian's Chromium against the platform as `alac up` starts it: a
lawyer takes a case from triage through consent, a deadline, the audited contact and a letter
of support (the PDF downloaded and checked) to a closed outcome; the new pages are axe-clean
(WCAG 2.1 AA) in every language; offline intake for mobile clinics: with the browser context
offline two complaints are queued on the device, and when it is back online both arrive
exactly once. Screenshots go to web/tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import httpx
import pytest
from browser_helpers import axe_violations, sign_in

from alac_kernel.testing.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("web-browser")]

HERE = Path(__file__).resolve().parent
LOCALES = HERE.parent / "src" / "alac_web" / "locales"
CODE = re.compile(r"^[0-9A-Z]{5}(-[0-9A-Z]{5}){4}$")


def t(lang: str, key: str) -> str:
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))[key]


def api(platform, user: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {"Authorization": f"Bearer {platform.token(user)}"}


def case_of(platform, complaint_id: str) -> dict:  # type: ignore[no-untyped-def]
    def found() -> dict | None:
        r = httpx.get(f"{platform.cases}/v1/cases", params={"complaint_id": complaint_id},
                      headers=api(platform, "lena"))  # fmt: skip
        items = r.json()["items"] if r.status_code == 200 else []
        return items[0] if items else None

    return wait_for(found, 30, "the case to open", interval_s=0.3)


def file_complaint(platform, crux: str, **extra) -> dict:  # type: ignore[no-untyped-def]
    created = httpx.post(
        f"{platform.intake}/v1/complaints", headers=api(platform, "vera"),
        json={"channel": "walk_in", "crux": crux, "request_type": "case", **extra},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    return {**created.json(), "case": case_of(platform, created.json()["id"])}


def test_a_lawyer_takes_a_case_through_a_letter_of_support_to_a_closed_outcome(
    platform, browser, shot
) -> None:
    marker = f"ltr{uuid.uuid4().hex[:8]}"
    filed = file_complaint(
        platform, f"Полиция не регистрирует заявление о вымогательстве. {marker}",
        area="police", contact={"phone": "+77017770011", "name": "Ержан"},
    )  # fmt: skip
    case_id = filed["case"]["id"]
    context = browser.new_context(bypass_csp=True, accept_downloads=True)
    page = context.new_page()
    found: dict[str, list] = {}
    try:
        sign_in(page, platform, "lena", "/staff/triage?lang=ru")
        page.click(f"text={marker}")
        page.wait_for_selector("[data-case-status=triage]")
        assert "+77017770011" not in page.content()  # hidden until the audited click

        def move(to: str, reason: str) -> None:
            page.check(f"#to-{to}")
            page.fill("#reason", reason)
            page.click("form[aria-labelledby=move-title] button[type=submit]")
            page.wait_for_selector(f"[data-case-status={to}]")

        move("assessment", "В мандате центра")
        move("awaiting_consent", "Нужно письмо в прокуратуру")

        def record_action(kind: str, summary: str) -> None:
            page.click("details:has(form[action*='/actions']) > summary")
            page.select_option("#act_type", kind)
            page.fill("#act_summary", summary)
            page.click("form[action*='/actions'] button[type=submit]")

        # Before any consent the gate refuses a drafted complaint, next to the action form.
        record_action("complaint_drafted", "Жалоба в прокуратуру")
        page.wait_for_selector("#actions .summary[role=alert]")
        refusal = page.inner_text("#actions .summary")
        assert "Официальные действия" in refusal and "согласие" in refusal
        assert page.input_value("#act_summary") == "Жалоба в прокуратуру"  # kept
        shot(page, "consent-gate")
        # The complainant signs the consent form at the office; the lawyer records it here.
        page.click("details:has(form[action*='/consents']) > summary")
        page.check("#scope-formal_action")
        page.check("#scope-documents_to_authorities")
        page.select_option("#how_given", "signed_form")
        page.click("form[action*='/consents'] button[type=submit]")
        page.wait_for_selector("[data-consent-version='1']")
        given = page.eval_on_selector_all(
            "tr[data-given=yes]", "els => els.map(e => e.dataset.scope)"
        )
        assert given == ["formal_action", "documents_to_authorities"]
        move("in_action", "Согласие подписано")
        record_action("complaint_drafted", "Жалоба в прокуратуру")
        page.wait_for_selector("[data-action-type=complaint_drafted]")
        assert "согласию версии 1" in page.inner_text("#actions")
        page.fill("#note_text", "Клиент просит звонить после 18:00")
        page.click("form[action*='/notes'] button[type=submit]")
        page.wait_for_selector("[data-note]")
        assert "UTC+5" in page.inner_text("#notes")  # Almaty's time, the zone written

        page.click("#show-contact")
        page.wait_for_selector("[data-contact-shown=yes]")
        assert "+77017770011" in page.inner_text("#contact")
        shot(page, "contact-shown")
        found["contact"] = axe_violations(page, open_details=True)

        page.goto(f"{platform.web}/staff/cases/{case_id}?lang=ru")
        page.click("#deadlines summary")
        page.fill("#due_on", "2030-01-15")
        page.click("#deadlines form.stack button[type=submit]")
        page.wait_for_selector("[data-deadline]")
        assert "2030-01-15" in page.inner_text("#deadlines")

        page.click("#letters summary")
        page.select_option("#language", "ru")
        page.fill("#authority", "Прокуратура города Алматы")
        page.fill("#facts", f"Заявление о вымогательстве не зарегистрировано трижды. {marker}")
        page.fill("#legal_assessment", "Нарушение порядка приёма заявлений.")
        page.fill("#request", "Провести проверку и зарегистрировать заявление.")
        page.click("button[name=step][value=preview]")
        page.wait_for_selector(".letter-preview")
        assert "Прокуратура города Алматы" in page.inner_text(".letter-preview")
        shot(page, "letter-preview")
        found["letter-preview"] = axe_violations(page, open_details=True)
        page.click("#issue-letter")
        page.wait_for_selector("[data-letter]")
        assert t("ru", "staff.case.done.letter") in page.inner_text("main")
        with page.expect_download() as download_info:
            page.click("[data-letter] a[download]")
        pdf = Path(download_info.value.path()).read_bytes()
        assert pdf.startswith(b"%PDF") and b"%%EOF" in pdf[-1024:]
        assert len(pdf) > 1000
        assert 'data-kind="letter"' in page.content()
        shot(page, "letter-issued")
        found["case"] = axe_violations(page, open_details=True)

        page.goto(f"{platform.web}/staff/cases/{case_id}?lang=ru")
        page.check("#to-closed")
        page.fill("#reason", "Заявление зарегистрировано после письма")
        page.select_option("#outcome", index=1)
        page.click("form[aria-labelledby=move-title] button[type=submit]")
        page.wait_for_selector("[data-case-status=closed]")
        shot(page, "closed")
        kinds = page.eval_on_selector_all(".history li", "els => els.map(e => e.dataset.kind)")
        assert kinds.count("status") == 4 and "consent" in kinds and "letter" in kinds
        assert "action" in kinds and "note" in kinds
    finally:
        context.close()
    assert found == {"contact": [], "letter-preview": [], "case": []}


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_axe_finds_no_violation_on_the_new_staff_pages(platform, browser, shot, lang) -> None:
    marker = f"axe{uuid.uuid4().hex[:8]}"
    filed = file_complaint(platform, f"Акимат требует плату за справку. {marker}",
                           contact={"phone": "+77012223344"})  # fmt: skip
    wrote = httpx.post(f"{platform.intake}/v1/follow-up/messages", json={"body": "Есть новости?"},
                       headers={"Receipt-Code": filed["receipt_code"]})  # fmt: skip
    assert wrote.status_code == 201
    wait_for(lambda: httpx.get(f"{platform.search}/v1/search", params={"q": marker},
                               headers=api(platform, "lena")).json()["total"] == 1,
             30, "search to index the complaint", interval_s=0.3)  # fmt: skip
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    found: dict[str, list] = {}
    try:
        sign_in(page, platform, "lena", f"/staff?lang={lang}")
        pages = {
            "home": "/staff", "my-cases": "/staff/my-cases", "overdue": "/staff/overdue",
            "unanswered": "/staff/unanswered", "search-empty": "/staff/search",
            "search": f"/staff/search?q={marker}", "case": f"/staff/cases/{filed['case']['id']}",
            "entry": "/staff/complaints/new",
        }  # fmt: skip
        for name, path in pages.items():
            page.goto(f"{platform.web}{path}{'&' if '?' in path else '?'}lang={lang}")
            page.wait_for_selector("main h1")
            if name == "search":
                assert "<mark>" in page.inner_html(".hits")
                page.wait_for_selector("[data-facet]")  # the counts, loaded by htmx after
            shot(page, name)
            found[name] = axe_violations(page, open_details=True)
    finally:
        context.close()
    assert found == {name: [] for name in found}


def test_offline_two_complaints_queue_on_the_device_and_arrive_exactly_once(
    platform, browser, shot
) -> None:
    markers = [f"off{uuid.uuid4().hex[:8]}", f"off{uuid.uuid4().hex[:8]}"]
    context = browser.new_context()
    page = context.new_page()
    try:
        sign_in(page, platform, "vera", "/staff/complaints/new?lang=kk")
        # the service worker has installed and keeps the form for offline use
        assert page.evaluate("() => navigator.serviceWorker.ready.then(r => !!r.active)")
        page.reload()  # now controlled by the worker, which keeps a copy of the form
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        context.set_offline(True)
        page.reload()  # no network: the form comes from the device
        page.wait_for_selector("form[data-offline-queue]")
        cruxes = [f"Ауылда дәрігер ақша талап етеді {markers[0]}",
                  f"Мектепте ата-аналардан ақша жинайды {markers[1]}"]  # fmt: skip
        for crux in cruxes:
            page.select_option("#channel", "mobile_clinic")
            page.fill("#crux", crux)
            page.click("form[data-offline-queue] button[type=submit]")
            page.wait_for_function(
                "n => document.querySelectorAll('#offline-list li').length === n",
                arg=cruxes.index(crux) + 1,
            )
        waiting = page.eval_on_selector_all(
            "#offline-list li", "els => els.map(e => e.dataset.state)"
        )
        assert waiting == ["waiting", "waiting"]
        assert t("kk", "offline.count").format(count=2) in page.inner_text("#offline-count")
        shot(page, "queued-offline")
        context.set_offline(False)  # the clinic is back in range: the queue sends itself
        page.wait_for_function(
            "() => document.querySelectorAll('#offline-list [data-receipt-code]').length === 2",
            timeout=30_000,
        )
        codes = page.eval_on_selector_all(
            "[data-receipt-code]", "els => els.map(e => e.textContent)"
        )
        assert len(set(codes)) == 2 and all(CODE.match(c) for c in codes)
        shot(page, "sent")
        # Sending again (another tab, a reload, "Send now") files nothing more.
        page.reload()
        page.click("#offline-send")
        page.wait_for_timeout(500)
    finally:
        context.close()
    for crux, code in zip(cruxes, codes, strict=True):
        status = httpx.get(f"{platform.intake}/v1/follow-up/status", headers={"Receipt-Code": code})
        assert status.status_code == 200, status.text
    for marker in markers:

        def indexed(term: str = marker) -> int | None:
            r = httpx.get(f"{platform.search}/v1/search", params={"q": term},
                          headers=api(platform, "lena"))  # fmt: skip
            return r.json()["total"] or None

        assert wait_for(indexed, 30, "the complaint in search", interval_s=0.3) == 1
    # exactly once, also as cases sees it: one case per complaint, each channel mobile_clinic
    listed = httpx.get(f"{platform.cases}/v1/cases", params={"limit": 200},
                       headers=api(platform, "lena")).json()["items"]  # fmt: skip
    ours = [c for c in listed if any(m in c["crux"] for m in markers)]
    assert len(ours) == 2 and {c["channel"] for c in ours} == {"mobile_clinic"}


def test_the_duplicate_warning_while_typing_and_sign_out_through_the_issuer(
    platform, browser, shot
) -> None:
    """Under the page's own CSP (not bypassed): the warning appears in its live region while
    the volunteer types (htmx, debounced), and sign-out passes through the issuer's
    end-session endpoint back to the signed-out page."""
    marker = f"dup{uuid.uuid4().hex[:8]}"
    crux = f"Главврач поликлиники требует деньги за направление на операцию {marker}."
    file_complaint(platform, crux, contact={"phone": "+77015550101"})
    context = browser.new_context()
    page = context.new_page()
    visited: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: visited.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    try:
        sign_in(page, platform, "vera", "/staff/complaints/new?lang=kk")
        page.fill("#crux", crux[:-1] + "!")
        page.wait_for_selector("#duplicates [data-duplicate]", timeout=15_000)
        assert t("kk", "staff.entry.dup.similar_text") in page.inner_text("#duplicates")
        assert page.get_attribute("#duplicates", "aria-live") == "polite"
        shot(page, "duplicate-warning")
        page.fill("#crux", "Басқа мәселе: жер учаскесі бойынша жауап жоқ, бір ай болды.")
        page.wait_for_function("() => !document.querySelector('#duplicates [data-duplicate]')")
        page.click("text=" + t("kk", "staff.sign_out"))
        page.wait_for_url("**/staff/signed-out")
        assert any("/protocol/openid-connect/logout?" in url and "id_token_hint=" in url
                   for url in visited)  # fmt: skip
        page.goto(f"{platform.web}/staff/complaints/new")
        page.wait_for_selector("#username")  # signed out: the issuer's sign-in form
    finally:
        context.close()
    assert [p for p in problems if "Content Security Policy" in p] == []
