"""The staff console in-process: sign-in with the authorization code flow and PKCE against the
real development issuer app, a server-side session (the browser gets only a random id), and
the pages over the real intake and cases apps (the root conftest's `sqlite_platform`)."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from alac_kernel.testing.harness import TEST_ISSUER
from alac_web.app import create_app
from alac_web.settings import WebSettings

# The development issuer redirects only to loopback addresses.
WEB = "http://127.0.0.1"


@pytest.fixture
def web(sqlite_platform, tmp_path: Path):  # type: ignore[no-untyped-def]
    p = sqlite_platform
    app = create_app(
        WebSettings(
            intake_url="http://intake.test",
            cases_url="http://cases.test",
            issuer_url=TEST_ISSUER,
            data_dir=tmp_path / "web",
        ),
        intake_transport=httpx.ASGITransport(app=p.apps["intake"]),
        cases_transport=httpx.ASGITransport(app=p.apps["cases"]),
        issuer_transport=httpx.ASGITransport(app=p.issuer.app),
    )
    with TestClient(app, base_url=WEB) as client:
        client.platform = p  # type: ignore[attr-defined]
        yield client


def sign_in(web, username: str, next_path: str = "/staff") -> httpx.Response:  # type: ignore[no-untyped-def]
    """The browser's part of the code flow: follow the redirect to the issuer, post the
    sign-in form there, come back with the code."""
    start = web.get(f"/staff/login?next={next_path}", follow_redirects=False)
    assert start.status_code == 303
    authorize = urlsplit(start.headers["location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}".startswith(TEST_ISSUER)
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    assert params["code_challenge_method"] == "S256" and params["client_id"] == "alac-web"
    assert "code_verifier" not in params  # the verifier never leaves the front end
    issuer = web.platform.issuer.client
    answer = issuer.post(
        authorize.path,
        data={**params, "username": username, "password": "demo" + username},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    back = urlsplit(answer.headers["location"])
    assert back.path == "/staff/callback"
    return web.get(f"/staff/callback?{back.query}", follow_redirects=False)


def test_sign_in_keeps_the_token_on_the_server(web) -> None:
    assert web.get("/staff", follow_redirects=False).headers["location"].startswith("/staff/login")
    done = sign_in(web, "lena", "/staff/cases")
    assert done.status_code == 303 and done.headers["location"] == "/staff/cases"
    cookie = done.headers["set-cookie"]
    assert cookie.startswith("alac_session=") and "HttpOnly" in cookie and "SameSite=lax" in cookie
    session_id = web.cookies.get("alac_session")
    assert session_id and "." not in session_id  # a random id, not a JWT
    page = web.get("/staff")
    assert page.status_code == 200 and "lena" in page.text and "lawyer" in page.text
    assert "eyJ" not in page.text  # no token in the page either
    # Signing out ends the session on the server, not only in the browser.
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    web.post("/staff/logout", data={"csrf_token": token})
    again = web.get("/staff", cookies={"alac_session": session_id}, follow_redirects=False)
    assert again.status_code == 303


def test_a_callback_with_a_foreign_state_is_refused(web) -> None:
    web.get("/staff/login", follow_redirects=False)
    refused = web.get("/staff/callback?code=abc&state=not-mine", follow_redirects=False)
    assert refused.status_code == 400
    assert "alac_session" not in web.cookies


def test_a_volunteer_records_a_call_and_a_lawyer_moves_the_case(web) -> None:
    sign_in(web, "vera")
    form = web.get("/staff/complaints/new?lang=ru")
    assert form.status_code == 200
    # staff channels only: a volunteer does not record web-form or partner submissions
    channels = set(
        re.findall(
            r'<option value="([a-z_]+)"[^>]*>',
            form.text.split('id="channel"')[1].split("</select>")[0],
        )
    )
    assert channels == {"hotline", "walk_in", "mobile_clinic", "letter"}
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
    key = re.search(r'name="idempotency_key" value="([0-9a-f-]+)"', form.text).group(1)
    body = {
        "csrf_token": token,
        "idempotency_key": key,
        "channel": "hotline",
        "crux": "Судья затягивает рассмотрение дела о выселении третий год.",
        "area": "judicial_system",
        "request_type": "case",
        "preferred_language": "ru",
        "phone": "+7 701 555 44 33",
    }
    recorded = web.post("/staff/complaints/new?lang=ru", data=body)
    assert recorded.status_code == 200, recorded.text
    code = re.search(r'id="receipt-code">([0-9A-Z-]{29})<', recorded.text).group(1)
    # Sent twice (a double click, a retry): the same answer, one complaint.
    replay = web.post("/staff/complaints/new?lang=ru", data=body)
    assert code in replay.text
    web.platform.pump()
    web.cookies.clear()
    sign_in(web, "lena")
    listing = web.get("/staff/cases?lang=en&status=triage")
    assert listing.text.count("Судья затягивает") == 1
    case_id = re.search(r'href="/staff/cases/([0-9a-f-]{36})"', listing.text).group(1)
    case = web.get(f"/staff/cases/{case_id}?lang=en")
    # Only the transitions allowed from triage are offered.
    offered = set(re.findall(r'name="to_status" value="([a-z_]+)"', case.text))
    assert offered == {"assessment", "quick_answer", "closed"}
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', case.text).group(1)
    version = re.search(r'name="version" value="(\d+)"', case.text).group(1)
    missing = web.post(
        f"/staff/cases/{case_id}/transition?lang=en",
        data={"csrf_token": token, "version": version, "to_status": "assessment", "reason": ""},
    )
    assert missing.status_code == 422 and 'id="reason-error"' in missing.text
    moved = web.post(
        f"/staff/cases/{case_id}/transition?lang=en",
        data={"csrf_token": token, "version": version, "to_status": "assessment",
              "reason": "documents received"},
        follow_redirects=False,
    )  # fmt: skip
    assert moved.status_code == 303
    after = web.get(moved.headers["location"])
    assert 'data-case-status="assessment"' in after.text and "documents received" in after.text
    # The same version again: the case changed meanwhile, said in plain words.
    stale = web.post(
        f"/staff/cases/{case_id}/transition?lang=en",
        data={"csrf_token": token, "version": version, "to_status": "closed",
              "reason": "again", "outcome": "resolved"},
    )  # fmt: skip
    assert stale.status_code == 409 and "Not possible now" in stale.text
    # The lawyer writes to the complainant; the complainant reads it with the receipt code.
    # The page names who of the staff wrote it (intake's answer, from cases' staff.* events).
    web.platform.name_staff("lena", "Елена Ким", "Юрист")
    written = web.post(
        f"/staff/cases/{case_id}/messages?lang=en",
        data={"csrf_token": token, "message": "Принесите, пожалуйста, решение суда."},
        follow_redirects=False,
    )
    assert written.status_code == 303
    after = web.get(written.headers["location"]).text
    assert "Принесите, пожалуйста" in after and "Centre (Елена Ким, Юрист)" in after
    follow = web.get("/follow-up?lang=ru")
    ftoken = re.search(r'name="csrf_token" value="([0-9a-f]+)"', follow.text).group(1)
    status = web.post("/follow-up", data={"csrf_token": ftoken, "code": code})
    assert "Принесите, пожалуйста, решение суда." in status.text
    assert "Елена Ким" not in status.text  # the complainant reads that the centre wrote
    assert 'data-status="under_review"' in status.text or 'data-status="received"' in status.text


def test_a_form_typed_while_the_session_expired_survives_the_sign_in(web) -> None:
    sign_in(web, "vera")
    form = web.get("/staff/complaints/new")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
    web.cookies.delete("alac_session")  # as if it had expired
    lost = web.post(
        "/staff/complaints/new",
        data={"csrf_token": token, "channel": "walk_in", "crux": "Half a call, typed already."},
        follow_redirects=False,
    )
    assert lost.status_code == 303 and lost.headers["location"].startswith("/staff/login?draft=")
    # (the draft goes back to the page it was typed on)
    start = web.get(lost.headers["location"], follow_redirects=False)
    authorize = urlsplit(start.headers["location"])
    params = {k: v[0] for k, v in parse_qs(authorize.query).items()}
    answer = web.platform.issuer.client.post(
        authorize.path, data={**params, "username": "vera", "password": "demovera"},
        follow_redirects=False,
    )  # fmt: skip
    back = web.get(f"/staff/callback?{urlsplit(answer.headers['location']).query}",
                   follow_redirects=False)  # fmt: skip
    assert back.headers["location"] == "/staff/complaints/new"
    restored = web.get("/staff/complaints/new?lang=en")
    assert "Half a call, typed already." in restored.text
    assert 'value="walk_in" selected' in restored.text
    assert "what you typed was kept" in restored.text


def test_another_tenants_case_is_not_shown(web) -> None:
    sign_in(web, "vera")
    form = web.get("/staff/complaints/new")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
    web.post("/staff/complaints/new", data={"csrf_token": token, "channel": "hotline",
                                             "crux": "Акимат требует взятку."})  # fmt: skip
    web.platform.pump()
    web.cookies.clear()
    sign_in(web, "lena")
    case_id = re.search(r'href="/staff/cases/([0-9a-f-]{36})"', web.get("/staff/cases").text).group(
        1
    )
    queue = web.get("/staff/triage?lang=en")  # the Almaty office's triage queue
    assert "Triage queue" in queue.text and queue.text.count(f'href="/staff/cases/{case_id}"') == 1
    web.cookies.clear()
    sign_in(web, "dana")  # a lawyer of another tenant
    assert "Акимат требует" not in web.get("/staff/cases").text
    assert "Акимат требует" not in web.get("/staff/triage").text
    other = web.get(f"/staff/cases/{case_id}?lang=en")
    assert other.status_code == 404 and "Not found, or not visible to you." in other.text


def test_the_case_page_shows_the_consent_record_and_a_timeline(web) -> None:
    p = web.platform
    created = p.intake.post(
        "/v1/complaints", headers=p.headers("vera"),
        json={"channel": "walk_in", "crux": "Акимат требует взятку за участок.",
              "contact": {"phone": "+77010000003"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    cid, code = created.json()["id"], created.json()["receipt_code"]
    p.pump()
    (case,) = [
        c
        for c in p.cases.get("/v1/cases", headers=p.headers("lena")).json()["items"]
        if c["complaint_id"] == cid
    ]
    path, version = f"/v1/cases/{case['id']}", case["version"]

    def step(suffix: str, body: dict, status: int = 200) -> None:
        nonlocal version
        r = p.cases.post(f"{path}/{suffix}", json={**body, "version": version},
                         headers=p.headers("lena"))  # fmt: skip
        assert r.status_code == status, r.text
        version = int(r.headers["ETag"].strip('"'))

    sign_in(web, "lena")
    empty = web.get(f"/staff/cases/{case['id']}?lang=en").text
    assert "Consent" in empty and "No consent recorded yet." in empty
    step("transitions", {"to_status": "assessment", "reason": "in mandate"})
    step("transitions", {"to_status": "awaiting_consent", "reason": "needs a complaint"})
    p.pump()
    answer = p.intake.post(
        "/v1/follow-up/consent", json={"formal_action": True, "media": False},
        headers={"Receipt-Code": code},
    )  # fmt: skip
    assert answer.status_code == 200
    p.pump()
    version = p.cases.get(path, headers=p.headers("lena")).json()["version"]
    step("transitions", {"to_status": "in_action", "reason": "consent given"})
    step("actions", {"action_type": "complaint_drafted", "summary": "to the akimat"}, 201)

    page = web.get(f"/staff/cases/{case['id']}?lang=ru").text
    assert 'data-consent-version="1"' in page
    assert "заявителем (форма обращения или страница хода обращения)" in page
    given = dict(re.findall(r'data-scope="([a-z_]+)" data-given="(yes|no)"', page))
    assert given == {
        "formal_action": "yes", "documents_to_authorities": "no", "media": "no",
        "referral": "no", "share_contact": "no",
    }  # fmt: skip
    kinds = re.findall(r'<li data-kind="([a-z]+)"', page)
    assert kinds == ["status", "status", "consent", "status", "action"]
    assert "Согласие, версия 1: Официальные действия" in page
    assert "Действие (составлена жалоба): to the akimat" in page
    assert "по согласию версии 1" in page


def _offered_languages(page: str) -> list[str]:
    select = page.split('id="preferred_language"')[1].split("</select>")[0]
    return re.findall(r'<option value="([a-z]+)"[^>]*>', select)


def test_the_entry_form_offers_the_languages_the_centre_works_in(web) -> None:
    """ndi works in Kazakh and Russian (its registry entry, which intake's per-tenant list
    follows): its volunteer is offered those two; tk's is offered all three."""
    web.platform.onboard_demo_tenants()
    sign_in(web, "nurlan")
    form = web.get("/staff/complaints/new?lang=ru")
    assert form.status_code == 200
    assert _offered_languages(form.text) == ["kk", "ru"]
    assert '<option value="kk">Казахский</option>' in form.text
    web.cookies.clear()
    sign_in(web, "vera")
    assert _offered_languages(web.get("/staff/complaints/new?lang=ru").text) == ["kk", "ru", "en"]
