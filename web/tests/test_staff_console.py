"""The rest of the staff console in-process over the real issuer, intake, cases and search apps
(the root conftest's `sqlite_platform`): the queues (my cases, overdue, waiting for an
answer), the case page's letters, deadlines, referrals and audited "show contact", search
with facets and highlights, a case form surviving an expired session, and the offline queue's
endpoint (idempotent with the device's key)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from console_helpers import as_user, file_complaint, make_web, sign_in, token_of
from sqlalchemy import func, select, update

from alac_kernel.db import session_scope
from alac_web.staff_search import safe_snippet


@pytest.fixture
def web(sqlite_platform, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_web(sqlite_platform, tmp_path) as client:
        client.platform = sqlite_platform  # type: ignore[attr-defined]
        yield client


def cases_post(p, case: dict, suffix: str, body: dict, user: str = "lena") -> dict:  # type: ignore[no-untyped-def]
    path = f"/v1/cases/{case['id']}"
    version = p.cases.get(path, headers=p.headers(user)).json()["version"]
    r = p.cases.post(f"{path}/{suffix}", json={**body, "version": version}, headers=p.headers(user))
    assert r.status_code in (200, 201), r.text
    return r.json()


def test_the_queues_my_cases_overdue_and_waiting_for_an_answer(web) -> None:
    p = web.platform
    lena = p.issuer.dev.subject_of("lena")  # staff are known by their token's sub
    added = p.cases.post("/v1/staff", headers=p.headers("tamara"),
                         json={"subject": lena, "office": "almaty", "role": "lawyer"})  # fmt: skip
    assert added.status_code in (200, 201), added.text
    mine, code = file_complaint(p, "Судья требует деньги за ускорение дела.")
    other, _ = file_complaint(p, "Акимат не отвечает на заявление о земле.")
    cases_post(p, mine, "assignment", {"assignee": lena}, user="kazbek")
    as_user(web, "lena")
    page = web.get("/staff/my-cases?lang=en").text
    assert f'href="/staff/cases/{mine["id"]}"' in page
    assert f'href="/staff/cases/{other["id"]}"' not in page
    assert "1 cases assigned to you" in page

    # Overdue: a deadline that fell due yesterday (moved into the past in the database).
    made = p.cases.post(f"/v1/cases/{mine['id']}/deadlines", headers=p.headers("lena"),
                        json={"due_on": str(datetime.now(UTC).date() + timedelta(days=3))})  # fmt: skip
    assert made.status_code == 201, made.text
    from alac_cases.deadlines.models import Deadline

    runtime = p.runtime("cases")
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        session.execute(update(Deadline).where(Deadline.id == made.json()["id"])
                        .values(due_at=datetime.now(UTC) - timedelta(days=1)))  # fmt: skip
    overdue = web.get("/staff/overdue?lang=ru").text
    assert f'href="/staff/cases/{mine["id"]}#deadlines"' in overdue
    assert "Просрочено: 1" in overdue
    assert "Просрочено: 1" in web.get("/staff/overdue?mine=1&lang=ru").text

    # Waiting for an answer: the complainant wrote on the follow-up page.
    wrote = p.intake.post("/v1/follow-up/messages", json={"body": "Есть новости?"},
                          headers={"Receipt-Code": code})  # fmt: skip
    assert wrote.status_code == 201
    waiting = web.get("/staff/unanswered?lang=kk").text
    assert f'data-complaint="{mine["complaint_id"]}"' in waiting
    assert "Жауап күтуде: 1" in waiting
    opened = web.get(f"/staff/complaints/{mine['complaint_id']}/case", follow_redirects=False)
    assert opened.status_code == 303 and opened.headers["location"] == f"/staff/cases/{mine['id']}"
    case_page = web.get(opened.headers["location"] + "?lang=en").text
    answered = web.post(f"/staff/cases/{mine['id']}/messages?lang=en",
                        data={"csrf_token": token_of(case_page), "message": "Завтра позвоним."},
                        follow_redirects=False)  # fmt: skip
    assert answered.status_code == 303
    assert "Nobody is waiting for an answer." in web.get("/staff/unanswered?lang=en").text

    # A volunteer may not read deadlines: the page says so in plain words.
    as_user(web, "vera")
    refused = web.get("/staff/overdue?lang=en")
    assert refused.status_code == 200 and "Your role does not allow this." in refused.text


def test_letters_deadlines_referrals_on_the_case_page(web) -> None:
    p = web.platform
    p.onboard_demo_tenants()  # ndi, the centre referred to, comes from the tenant registry
    case, _ = file_complaint(p, "Полиция отказывается принять заявление о вымогательстве.",
                             contact={"phone": "+77015550001"})  # fmt: skip
    cases_post(p, case, "transitions", {"to_status": "assessment", "reason": "in mandate"})
    cases_post(p, case, "transitions", {"to_status": "awaiting_consent", "reason": "letter"})
    cases_post(p, case, "consents", {"scopes": ["formal_action", "documents_to_authorities"],
                                     "how_given": "signed_form"})  # fmt: skip
    cases_post(p, case, "transitions", {"to_status": "in_action", "reason": "consent signed"})
    as_user(web, "lena")
    url = f"/staff/cases/{case['id']}"
    page = web.get(f"{url}?lang=ru").text
    assert "Писем поддержки по делу нет." in page and "По делу сроков нет." in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    letter = {"csrf_token": token_of(page), "version": version, "language": "ru",
              "authority": "Прокуратура Алматы", "facts": "Заявление не приняли 3 раза.",
              "legal_assessment": "Нарушение статьи 181 УПК.", "request": "Проверить отказ."}  # fmt: skip
    # A field left empty is said next to it; nothing is sent.
    empty = web.post(f"{url}/letters?lang=en", data={**letter, "facts": "", "step": "issue"})
    assert empty.status_code == 422 and 'id="facts-error"' in empty.text
    preview = web.post(f"{url}/letters?lang=en", data={**letter, "step": "preview"})
    assert preview.status_code == 200 and "Preview: the letter will read like this" in preview.text
    assert "No letter of support has been issued" in preview.text  # nothing issued yet
    issued = web.post(f"{url}/letters?lang=en", data={**letter, "step": "issue"},
                      follow_redirects=False)  # fmt: skip
    assert issued.status_code == 303, issued.text
    page = web.get(f"{url}?lang=en&done=letter").text
    assert "The letter of support has been issued." in page
    pdf_path = re.search(r'href="(/staff/cases/[^"]+/letters/[0-9a-f-]+\.pdf)"', page).group(1)
    pdf = web.get(pdf_path)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"
    assert 'data-kind="letter"' in page

    # Deadlines: nothing chosen is refused in words; a due date is set and then met.
    token = token_of(page)
    missing = web.post(f"{url}/deadlines?lang=en", data={"csrf_token": token, "rule": ""})
    assert missing.status_code == 422 and "Choose a rule or give the due date." in missing.text
    due = str(datetime.now(UTC).date() + timedelta(days=10))
    set_ = web.post(f"{url}/deadlines?lang=en", data={"csrf_token": token, "due_on": due},
                    follow_redirects=False)  # fmt: skip
    assert set_.status_code == 303
    page = web.get(f"{url}?lang=en").text
    deadline_id = re.search(r'data-deadline="([0-9a-f-]+)"', page).group(1)
    assert f'<time datetime="{due}' in page and ">open<" in page
    met = web.post(f"{url}/deadlines/{deadline_id}/met?lang=en", data={"csrf_token": token},
                   follow_redirects=False)  # fmt: skip
    assert met.status_code == 303
    assert ">met<" in web.get(f"{url}?lang=en").text

    # Referral: the consent does not cover it, so cases refuses and the page says why.
    page = web.get(f"{url}?lang=en").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    refused = web.post(f"{url}/referrals?lang=en", data={"csrf_token": token, "version": version,
                                                         "to_tenant": "ndi", "share": ["crux"]})  # fmt: skip
    assert refused.status_code in (403, 409), refused.text
    assert 'id="referrals"' in refused.text and 'class="summary"' in refused.text
    assert 'value="ndi"' in refused.text  # what was typed is kept
    cases_post(p, case, "consents", {"scopes": ["formal_action", "documents_to_authorities",
                                                "referral"], "how_given": "signed_form"})  # fmt: skip
    page = web.get(f"{url}?lang=en").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    referred = web.post(f"{url}/referrals?lang=en", data={"csrf_token": token, "version": version,
                                                          "to_tenant": "ndi", "share": ["crux", "area"]},
                        follow_redirects=False)  # fmt: skip
    assert referred.status_code == 303, referred.text
    page = web.get(f"{url}?lang=en").text
    assert "To ndi" in page and "the complaint&#39;s text, the area" in page
    assert 'data-kind="referral"' in page


def test_show_contact_is_an_audited_click_and_volunteers_never_see_it(web) -> None:
    from alac_intake.vault.models import ContactRead

    p = web.platform
    case, _ = file_complaint(p, "Врач требует оплату за бесплатную операцию.",
                             contact={"phone": "+77019990011", "name": "Айгерим"})  # fmt: skip

    def reads() -> int:
        runtime = p.runtime("intake")
        with session_scope(runtime.session_factory, all_tenants=True) as session:
            return session.execute(select(func.count()).select_from(ContactRead)).scalar_one()

    url = f"/staff/cases/{case['id']}"
    as_user(web, "vera")
    page = web.get(f"{url}?lang=en").text
    assert "+77019990011" not in page and 'id="show-contact"' not in page
    forced = web.post(f"{url}/contact?lang=en", data={"csrf_token": token_of(page)})
    assert forced.status_code == 403 and "+77019990011" not in forced.text
    as_user(web, "lena")
    page = web.get(f"{url}?lang=en").text
    assert "+77019990011" not in page and 'id="show-contact"' in page
    assert reads() == 0  # opening the case page reads no contact
    shown = web.post(f"{url}/contact?lang=en", data={"csrf_token": token_of(page)})
    assert shown.status_code == 200 and "+77019990011" in shown.text and "Айгерим" in shown.text
    assert "recorded in the audit log" in shown.text
    assert reads() == 1
    assert "+77019990011" not in web.get(f"{url}?lang=en").text  # not kept by the front end
    # without the form token nothing is read
    assert web.post(f"{url}/contact?lang=en", data={}).status_code == 400
    assert reads() == 1


def test_search_with_the_query_language_facets_and_highlights(web) -> None:
    p = web.platform
    file_complaint(p, "Судья требует взятку <script>alert(1)</script> за решение.",
                   area="judicial_system")  # fmt: skip
    file_complaint(p, "Инспектор требует взятку за техосмотр.", area="police")
    file_complaint(p, "Акимат затягивает ответ.")
    as_user(web, "lena")
    page = web.get("/staff/search?q=взятка&lang=ru")
    assert page.status_code == 200
    assert "Найдено: 2" in page.text
    assert "<mark>взятку</mark>" in page.text
    assert "<script>alert" not in page.text and "&lt;script&gt;" in page.text
    # The hits come alone; the counts in a second request (htmx), or inline with ?facets=1.
    assert 'data-facet="area"' not in page.text
    assert 'hx-get="/staff/search/facets?q=' in page.text and "facets=1" in page.text
    counted = web.get("/staff/search/facets?q=взятка&lang=ru").text
    assert "<html" not in counted and 'class="facets"' in counted  # the aside alone
    for shown in (counted, web.get("/staff/search?q=взятка&facets=1&lang=ru").text):
        facets = dict(re.findall(r'data-facet="area" data-value="([a-z_]+)">[^(]*\((\d+)\)', shown))
        assert facets == {"judicial_system": "1", "police": "1"}
        assert 'data-facet="status"' in shown  # lawyers see case fields
    narrowed_counts = web.get("/staff/search/facets?q=взятка&area=police&lang=ru").text
    assert re.findall(r'data-facet="area"', narrowed_counts) == []  # the chosen one is not a link
    assert "(1)" in narrowed_counts
    narrowed = web.get("/staff/search?q=взятка&area=police&lang=ru").text
    assert "Найдено: 1" in narrowed and "техосмотр" in narrowed
    excluded = web.get("/staff/search?q=взятка+-техосмотр&lang=ru").text
    assert "Найдено: 1" in excluded and "решение" in excluded
    bad = web.get('/staff/search?q="незакрытая&lang=en')
    assert bad.status_code == 400 and 'id="q-error"' in bad.text
    assert "The search could not be read" in bad.text
    as_user(web, "vera")  # volunteers: no case fields, so no status facet
    theirs = web.get("/staff/search?q=взятка&lang=en").text
    assert "Found: 2" in theirs
    assert 'data-facet="status"' not in web.get("/staff/search/facets?q=взятка&lang=en").text
    assert 'data-facet="area"' in web.get("/staff/search/facets?q=взятка&lang=en").text


def test_the_snippet_keeps_only_mark_tags() -> None:
    assert safe_snippet("a <mark>b</mark> &lt;i&gt;") == "a <mark>b</mark> &lt;i&gt;"
    assert safe_snippet("<b>x</b><mark>y</mark>") == "&lt;b&gt;x&lt;/b&gt;<mark>y</mark>"


def test_a_case_form_typed_while_the_session_expired_comes_back_filled(web) -> None:
    p = web.platform
    case, _ = file_complaint(p, "Налоговая требует неофициальную плату.")
    as_user(web, "lena")
    page = web.get(f"/staff/cases/{case['id']}?lang=en").text
    web.cookies.delete("alac_session")  # the session ends while the lawyer types
    sent = web.post(f"/staff/cases/{case['id']}/transition?lang=en",
                    data={"csrf_token": token_of(page), "to_status": "assessment",
                          "reason": "Документы получены, беремся."},
                    follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and "/staff/login?draft=" in sent.headers["location"]
    draft = parse_qs(urlsplit(sent.headers["location"]).query)["draft"][0]
    back = sign_in(web, "lena", draft=draft)
    assert back.headers["location"] == f"/staff/cases/{case['id']}"
    again = web.get(back.headers["location"] + "?lang=en").text
    assert "Документы получены, беремся." in again and "what you typed was kept" in again
    assert 'value="assessment" checked' in again
    # the draft is shown once
    assert "Документы получены" not in web.get(f"/staff/cases/{case['id']}?lang=en").text


def test_the_offline_queue_endpoint_files_once_per_key(web) -> None:
    as_user(web, "vera")
    page = web.get("/staff/complaints/new?lang=en").text
    assert "data-offline-queue" in page and "/static/offline.js" in page
    body = {"channel": "mobile_clinic", "crux": "В селе нет врача, требуют деньги.",
            "anonymous": True}  # fmt: skip
    headers = {"X-CSRF-Token": token_of(page), "Idempotency-Key": "k-" + "1" * 30}
    first = web.post("/staff/complaints/queued", json=body, headers=headers)
    again = web.post("/staff/complaints/queued", json=body, headers=headers)
    assert first.status_code == 200 and again.status_code == 200
    assert first.json()["receipt_code"] == again.json()["receipt_code"]
    assert first.json()["id"] == again.json()["id"]
    no_token = web.post("/staff/complaints/queued", json=body,
                        headers={"Idempotency-Key": "k-" + "2" * 30})  # fmt: skip
    assert no_token.status_code == 403
    refused = web.post("/staff/complaints/queued", json={**body, "crux": ""},
                       headers={**headers, "Idempotency-Key": "k-" + "3" * 30})  # fmt: skip
    assert refused.status_code == 422 and "crux" in refused.json()["fields"]
    web.cookies.delete("alac_session")
    assert web.post("/staff/complaints/queued", json=body, headers=headers).status_code == 401
    worker = web.get("/staff/sw.js")
    assert worker.status_code == 200 and worker.headers["service-worker-allowed"] == "/staff/"
    assert "caches" in worker.text


def test_the_session_endpoint_says_how_long_is_left(web) -> None:
    assert web.get("/staff/session").json() == {"signed_in": False, "seconds_left": 0}
    as_user(web, "lena")
    state = web.get("/staff/session").json()
    # the development issuer's tokens live 15 minutes
    assert state["signed_in"] is True and 800 < state["seconds_left"] <= 900
    page = web.get("/staff?lang=ru").text
    assert 'id="session-warning"' in page and "Сеанс закончится примерно через" in page
