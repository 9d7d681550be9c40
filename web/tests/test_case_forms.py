"""The case page's own records in-process over the real issuer, intake, cases and search apps
(the root conftest's `sqlite_platform`): actions (the consent gate's refusal next to the form,
in the user's language), consent versions and internal notes; staff shown by name, never by
their subject; times in the tenant's zone; sign-out through the issuer's end-session
endpoint (OpenID Connect RP-initiated logout)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from console_helpers import WEB, as_user, make_web, open_case, token_of

from alac_kernel.testing.harness import TEST_ISSUER
from alac_web.times import local

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture
def web(sqlite_platform, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_web(sqlite_platform, tmp_path) as client:
        client.platform = sqlite_platform  # type: ignore[attr-defined]
        yield client


def section(page: str, start: str, end: str) -> str:
    """The part of the page between two section ids: an error must sit next to its form."""
    return page[page.index(f'id="{start}"') : page.index(f'id="{end}"')]


def post_form(web, case: dict, what: str, data: dict, lang: str):  # type: ignore[no-untyped-def]
    page = web.get(f"/staff/cases/{case['id']}?lang={lang}").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    return web.post(f"/staff/cases/{case['id']}/{what}?lang={lang}", follow_redirects=False,
                    data={"csrf_token": token_of(page), "version": version, **data})  # fmt: skip


def test_actions_consent_and_notes_are_recorded_from_the_case_page(web) -> None:
    p = web.platform
    case = open_case(p, "Работодатель не выплачивает зарплату три месяца.",
                     contact={"phone": "+77010000011"})  # fmt: skip
    lena = p.issuer.dev.subject_of("lena")
    named = p.cases.post("/v1/staff", headers=p.headers("tamara"), json={
        "subject": lena, "office": "almaty", "role": "lawyer",
        "display_name": "Елена Ахметова", "position": "юрист"})  # fmt: skip
    assert named.status_code in (200, 201), named.text
    version = p.cases.get(f"/v1/cases/{case['id']}", headers=p.headers("kazbek")).json()["version"]
    assigned = p.cases.post(f"/v1/cases/{case['id']}/assignment", headers=p.headers("kazbek"),
                            json={"assignee": lena, "version": version})  # fmt: skip
    assert assigned.status_code == 200, assigned.text
    as_user(web, "lena")

    # The consent gate: a drafted complaint needs consent to formal action. The refusal is
    # said next to the action form, in the page's language, and the text typed is kept.
    for lang, said in (("ru", "нужно согласие заявителя на: Официальные действия"),
                       ("kk", "өтініш берушінің келісімі керек"),
                       ("en", "this needs the complainant&#39;s consent to Formal action")):  # fmt: skip
        refused = post_form(web, case, "actions", {"act_type": "complaint_drafted",
                            "act_summary": "Жалоба в трудовую инспекцию"}, lang)  # fmt: skip
        assert refused.status_code == 409
        actions = section(refused.text, "actions", "notes")
        assert said in actions and 'role="alert"' in actions
        assert "Жалоба в трудовую инспекцию</textarea>" in actions
        assert said not in section(refused.text, "consent-record", "actions")
    missing = post_form(web, case, "actions", {"act_type": "authority_response",
                        "act_summary": "Ответ пришёл"}, "en")  # fmt: skip
    assert missing.status_code == 422
    assert 'id="act_authority-error"' in missing.text and 'id="act_decision-error"' in missing.text

    # A consent version recorded by the lawyer (signed form), then the same action goes through.
    given = post_form(web, case, "consents", {"scopes": ["formal_action", "media"],
                      "how_given": "signed_form", "consent_note": "в папке дела"}, "ru")  # fmt: skip
    assert given.status_code == 303 and given.headers["location"].endswith("#consent-record")
    (consent,) = p.cases.get(f"/v1/cases/{case['id']}/consents", headers=p.headers("lena")).json()
    assert consent["scopes"] == ["formal_action", "media"]
    assert (consent["how_given"], consent["note"]) == ("signed_form", "в папке дела")
    done = post_form(web, case, "actions", {"act_type": "complaint_drafted",
                     "act_summary": "Жалоба в трудовую инспекцию"}, "ru")  # fmt: skip
    assert done.status_code == 303
    answered = post_form(web, case, "actions", {
        "act_type": "authority_response", "act_summary": "Инспекция ответила",
        "act_authority": "Трудовая инспекция", "act_received_on": "2026-11-30",
        "act_decision": "partly_granted", "act_on": "2026-12-01"}, "ru")  # fmt: skip
    assert answered.status_code == 303, answered.text
    recorded = p.cases.get(f"/v1/cases/{case['id']}/actions", headers=p.headers("lena")).json()
    assert [(a["action_type"], a["consent_version"]) for a in recorded] == [
        ("authority_response", None),
        ("complaint_drafted", 1),
    ]  # oldest first: Dec 1 first
    assert recorded[0]["details"] == {
        "authority": "Трудовая инспекция",
        "received_on": "2026-11-30",
        "decision": "partly_granted",
    }
    # occurred on 1 December, noon in Almaty
    assert recorded[0]["occurred_at"].startswith("2026-12-01T07:00:00")
    no_how = post_form(web, case, "consents", {"scopes": ["media"]}, "kk")
    assert no_how.status_code == 422 and 'id="how_given-error"' in no_how.text
    withdrawn = post_form(web, case, "consents", {"withdrawn": "yes", "scopes": ["media"],
                          "how_given": "phone"}, "en")  # fmt: skip
    assert withdrawn.status_code == 303
    last = p.cases.get(f"/v1/cases/{case['id']}/consents", headers=p.headers("lena")).json()[-1]
    assert (last["version"], last["withdrawn"], last["scopes"]) == (2, True, [])

    # An internal note.
    empty = post_form(web, case, "notes", {"note_text": " "}, "en")
    assert empty.status_code == 422 and "Write the note first." in section(
        empty.text, "notes", "timeline-title"
    )
    noted = post_form(web, case, "notes", {"note_text": "Клиент просит звонить после 18:00"}, "en")
    assert noted.status_code == 303
    (note,) = p.cases.get(f"/v1/cases/{case['id']}/notes", headers=p.headers("lena")).json()
    assert note["text"] == "Клиент просит звонить после 18:00"

    # The page: names, not subjects; the records in the timeline; times in Almaty's zone.
    page = web.get(f"/staff/cases/{case['id']}?lang=ru").text
    assert "вы (Елена Ахметова, юрист)" in page
    assert "Назначено: вы (Елена Ахметова, юрист); назначил(а): другой сотрудник" in page
    assert "Внутренняя заметка (вы (Елена Ахметова, юрист)): Клиент просит звонить" in page
    assert "частично" in section(page, "actions", "notes")
    assert not UUID.search(re.sub(r'(href|action|data-[a-z-]+)="[^"]*"', "", page))
    kinds = re.findall(r'<li data-kind="([a-z]+)"', page)
    assert kinds.count("consent") == 2 and kinds.count("action") == 2
    assert kinds.count("note") == 1 and kinds.count("assignment") == 1
    opened = local(case["opened_at"], ZoneInfo("Asia/Almaty"))
    assert opened.endswith("UTC+5") and f">{opened}</time>" in page
    assert " UTC</time>" not in page

    # A volunteer: no consent or action form, notes yes; the lawyer is "another staff member".
    as_user(web, "vera")
    page = web.get(f"/staff/cases/{case['id']}?lang=en").text
    assert 'action="/staff/cases/' + case["id"] + "/consents" not in page
    assert 'action="/staff/cases/' + case["id"] + "/actions" not in page
    assert 'id="note_text"' in page
    assert "another staff member" in page and "Елена" not in page
    assert not UUID.search(re.sub(r'(href|action|data-[a-z-]+)="[^"]*"', "", page))


def test_an_anonymous_complaint_allows_advice_only_said_in_the_users_language(web) -> None:
    p = web.platform
    case = open_case(p, "Анонимно: в школе собирают деньги на ремонт.", anonymous=True)
    as_user(web, "lena")
    refused = post_form(web, case, "actions", {"act_type": "other", "act_summary": "СМИ",
                        "act_involves": ["media"]}, "kk")  # fmt: skip
    assert refused.status_code == 409
    assert "Анонимді өтініш тек құқықтық бағалау мен кеңеске" in section(
        refused.text, "actions", "notes"
    )
    advice = post_form(web, case, "actions", {"act_type": "advice",
                       "act_summary": "Разъяснили права"}, "kk")  # fmt: skip
    assert advice.status_code == 303
    page = web.get(f"/staff/cases/{case['id']}?lang=en").text
    assert "Record a consent given to you" not in page  # no consent for an anonymous complaint


def test_times_in_the_tenants_zone_with_the_zone_written(sqlite_platform, tmp_path) -> None:
    almaty = ZoneInfo("Asia/Almaty")
    assert local("2026-12-07T20:30:00Z", almaty) == "2026-12-08 01:30 UTC+5"
    assert local("2026-12-07T20:30:00+00:00", almaty, date_only=True) == "2026-12-08"
    assert local("2026-12-07", almaty) == "2026-12-07"  # a calendar day stays that day
    assert local("2026-07-01T12:00:00", ZoneInfo("Asia/Kolkata")) == "2026-07-01 17:30 UTC+5:30"
    assert local(None, almaty) == "—"
    p = sqlite_platform
    case = open_case(p, "Суд не назначает заседание полгода.")
    # The zone is the registry's: tk, onboarded, moves to London (PATCH, as a platform admin).
    p.onboard_demo_tenants()
    pavel = p.headers("pavel")
    read = p.cases.get("/v1/tenants/tk", headers=pavel)
    moved = p.cases.patch(
        "/v1/tenants/tk", json={"time_zone": "Europe/London"},
        headers=pavel | {"If-Match": read.headers["ETag"]},
    )  # fmt: skip
    assert moved.status_code == 200, moved.text
    with make_web(p, tmp_path) as web:
        web.platform = p  # type: ignore[attr-defined]
        as_user(web, "lena")
        page = web.get(f"/staff/cases/{case['id']}?lang=en").text
        shown = local(case["opened_at"], ZoneInfo("Europe/London"))
        assert f">{shown}</time>" in page and shown.endswith(" UTC")
        # not the default zone (Almaty) any more
        assert local(case["opened_at"], almaty) not in page
    with pytest.raises(Exception, match="Mars"):
        make_web(p, tmp_path, time_zone="Mars/Olympus")


def test_sign_out_ends_the_issuers_session_too(web) -> None:
    p = web.platform
    as_user(web, "lena")
    page = web.get("/staff").text
    sid = web.cookies.get("alac_session")
    out = web.post("/staff/logout", data={"csrf_token": token_of(page)}, follow_redirects=False)
    assert out.status_code == 303
    end = urlsplit(out.headers["location"])
    assert (
        f"{end.scheme}://{end.netloc}{end.path}" == f"{TEST_ISSUER}/protocol/openid-connect/logout"
    )
    query = {k: v[0] for k, v in parse_qs(end.query).items()}
    assert query["post_logout_redirect_uri"] == f"{WEB}/staff/signed-out"
    assert query["client_id"] == "alac-web"
    # The front end's session is gone already; the issuer ends its own and sends the browser back.
    assert (
        web.get("/staff", cookies={"alac_session": sid}, follow_redirects=False).status_code == 303
    )
    back = p.issuer.client.get(f"{end.path}?{end.query}", follow_redirects=False)
    assert back.status_code == 302 and back.headers["location"] == f"{WEB}/staff/signed-out"
    assert p.issuer.dev.ended_sessions[-1] == (p.issuer.dev.subject_of("lena"), "alac-web")
    # The end-session endpoint checks what it is given.
    forged = dict(query, id_token_hint=p.issuer.dev.token_for("lena") + "x")
    assert p.issuer.client.get(end.path, params=forged).status_code == 400
    elsewhere = dict(query, post_logout_redirect_uri="https://evil.example/")
    assert p.issuer.client.get(end.path, params=elsewhere).status_code == 400
    assert "signed out" in web.get("/staff/signed-out?lang=en").text.lower()


def test_the_duplicate_warning_while_typing(web) -> None:
    p = web.platform
    first = p.intake.post("/v1/complaints", headers=p.headers("vera"), json={
        "channel": "hotline", "crux": "Директор школы требует деньги за выдачу аттестата сыну.",
        "contact": {"phone": "+7 701 000 00 42"}})  # fmt: skip
    assert first.status_code == 201, first.text
    earlier = first.json()["id"]
    as_user(web, "vera")
    form = web.get("/staff/complaints/new?lang=ru").text
    assert 'hx-post="/staff/complaints/duplicates?lang=ru"' in form
    assert 'id="duplicates"' in form and 'aria-live="polite"' in form
    token = token_of(form)

    def warn(lang: str = "ru", **typed: str) -> str:
        answer = web.post(f"/staff/complaints/duplicates?lang={lang}",
                          data={"csrf_token": token, **typed})  # fmt: skip
        assert answer.status_code == 200
        return answer.text

    same_text = warn(crux="Директор школы требует деньги за выдачу аттестата сыну!")
    assert f'data-duplicate="{earlier}"' in same_text and "почти тот же текст" in same_text
    same_phone = warn("en", crux="Совсем другая история про земельный участок в ауле.",
                      phone="+77010000042")  # fmt: skip
    assert f'data-duplicate="{earlier}"' in same_phone and "the same phone or e-mail" in same_phone
    half_typed = warn(crux="Директор школы требует деньги за выдачу аттестата сыну", phone="+7")
    assert f'data-duplicate="{earlier}"' in half_typed  # a half-typed phone: the text still counts
    assert warn(crux="Совсем другая история про земельный участок в ауле.").strip() == ""
    assert warn(crux="Директор школы").strip() == ""  # too short to compare
    forged = web.post("/staff/complaints/duplicates", data={"crux": "Директор школы требует "
                      "деньги за выдачу аттестата сыну."})  # fmt: skip
    assert forged.status_code == 200 and forged.text == ""  # no CSRF token: nothing
    # The check stores nothing: the earlier complaint has no flag from it.
    flags = p.intake.get(f"/v1/complaints/{earlier}/possible-duplicates", headers=p.headers("lena"))
    assert flags.status_code == 200 and flags.json()["possible_duplicates"] == []
    assert p.intake.post("/v1/complaints/duplicate-check", json={"crux": "x"}).status_code == 401


def test_a_deadline_shows_the_day_it_ends_in_the_tenants_zone() -> None:
    # cases stores the end of 15 January (Almaty) as 2030-01-15T19:00:00Z
    assert local("2030-01-15T19:00:00Z", ZoneInfo("Asia/Almaty"), due=True) == "2030-01-15"
    assert local("2030-01-15T19:00:00Z", ZoneInfo("Asia/Almaty"), date_only=True) == "2030-01-16"


def test_an_unreachable_registry_is_asked_again_after_a_pause_not_on_every_page() -> None:
    """Cases down: the first page tries and falls back to the default zone; the next pages
    within RETRY_S do not wait for the same failure; after it, the registry is asked again."""
    import httpx

    from alac_kernel.testing.aio import run_coroutine
    from alac_web.zones import TenantZones

    tried: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    def answer(request: httpx.Request) -> httpx.Response:
        tried.append(request.url.path)
        return httpx.Response(200, json={"spec": {"time_zone": "Asia/Aqtobe"}})

    async def pages(zones: TenantZones, handler, times: int) -> None:
        transport = httpx.MockTransport(handler)  # a refused connection, on demand
        async with httpx.AsyncClient(transport=transport, base_url="http://cases") as client:
            for _ in range(times):
                await zones.learn(client, "tk", "token")

    zones = TenantZones("Asia/Almaty", retry_s=3600)
    run_coroutine(pages(zones, refuse, 5))
    assert tried == ["/v1/tenant"]  # once, not five times
    assert zones.zone_for("tk") == ZoneInfo("Asia/Almaty")
    zones.retry_s = 0  # the pause is over
    run_coroutine(pages(zones, answer, 3))
    assert tried == ["/v1/tenant", "/v1/tenant"]  # asked again, then kept
    assert zones.zone_for("tk") == ZoneInfo("Asia/Aqtobe")
