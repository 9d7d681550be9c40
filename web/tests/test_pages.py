"""The front end in-process over the real intake app (the root conftest's `sqlite_platform`):
CSRF, rate limits turned into plain words, languages, the receipt shown once, security
headers, intake down. No browser here; the browser tests are in test_browser.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from alac_web.app import create_app
from alac_web.settings import WebSettings

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "alac_web"
FORM = "/t/tk/almaty/complaint"
CRUX = "Акимат требует деньги за справку о составе семьи."


def t(lang: str, key: str, **values: object) -> str:
    text_ = json.loads((PACKAGE / "locales" / f"{lang}.json").read_text(encoding="utf-8"))[key]
    return text_.format(**values) if values else text_


class Recording(httpx.AsyncBaseTransport):
    """Passes every call to the real intake app and keeps the request headers it sent."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.inner = httpx.ASGITransport(app=app)
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await self.inner.handle_async_request(request)


@pytest.fixture
def web(sqlite_platform, tmp_path: Path):  # type: ignore[no-untyped-def]
    transport = Recording(sqlite_platform.apps["intake"])
    app = create_app(
        WebSettings(intake_url="http://intake.test", data_dir=tmp_path / "web"),
        intake_transport=transport,
    )
    with TestClient(app, base_url="http://web.test") as client:
        client.transport_log = transport.sent  # type: ignore[attr-defined]
        client.platform = sqlite_platform  # type: ignore[attr-defined]
        yield client


def csrf_of(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page)
    assert match, "the form carries a CSRF token"
    return match.group(1)


def complaints(platform) -> int:  # type: ignore[no-untyped-def]
    with platform.runtime("intake").engine.connect() as conn:
        return conn.execute(text("select count(*) from complaints")).scalar_one()


def test_every_catalogue_has_every_key_the_templates_use() -> None:
    keys = {
        lang: set(json.loads((PACKAGE / "locales" / f"{lang}.json").read_text("utf-8")))
        for lang in ("kk", "ru", "en")
    }
    assert keys["kk"] == keys["ru"] == keys["en"]
    used: set[str] = set()
    for template in (PACKAGE / "templates").glob("*.html"):
        # literal keys only; the composed ones (`"status." ~ name`) are listed below
        used |= set(re.findall(r"""\bt\(["']([a-z_.]+)["']\s*[,)]""", template.read_text("utf-8")))
    statuses = ["received", "under_review", "awaiting_your_consent", "in_progress", "closed"]
    for status in [*statuses, "withdrawn"]:  # intake's public statuses (follow-up/status)
        used |= {f"status.{status}", f"status.{status}.explain"}
    used |= {f"lang.{lang}" for lang in keys} | {
        "followup.from.from_complainant",
        "followup.from.to_complainant",
    }
    used |= {f"field.{name}" for name in ("crux", "help_requested", "area", "contact", "email")}
    cases = ["triage", "quick_answer", "assessment", "awaiting_consent", "in_action"]
    used |= {f"casestatus.{s}" for s in [*cases, "awaiting_response", "closed"]}
    used |= {"staff.case.from.to_complainant", "staff.case.from.from_complainant"}
    used |= {"staff.triage.caption", "staff.cases.caption"}
    assert len(used) > 50 and used - keys["en"] == set()


def test_a_plain_post_files_the_complaint_and_shows_the_receipt_once(web) -> None:
    page = web.get(f"{FORM}?lang=en")
    assert page.status_code == 200
    before = complaints(web.platform)
    sent = web.post(
        f"{FORM}?lang=en",
        data={"csrf_token": csrf_of(page.text), "crux": CRUX, "anonymous": "yes"},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"] == f"{FORM}/receipt"
    assert complaints(web.platform) == before + 1
    receipt = web.get(f"{FORM}/receipt")
    code = re.search(r'id="receipt-code"[^>]*>([0-9A-Z-]{29})<', receipt.text)
    assert code, receipt.text
    again = web.get(f"{FORM}/receipt")
    assert code.group(1) not in again.text
    assert t("en", "receipt.gone.title") in again.text
    # The visitor's address goes to intake for its rate limit; the language for its errors.
    submitted = [r for r in web.transport_log if r.url.path == "/v1/public/complaints"][-1]
    assert submitted.headers["x-forwarded-for"] == "testclient"
    assert submitted.headers["accept-language"] == "en"
    assert json.loads(submitted.content)["preferred_language"] == "en"


def test_a_post_without_the_csrf_token_sends_nothing_and_keeps_the_text(web) -> None:
    web.get(f"{FORM}?lang=ru")  # the browser has its CSRF cookie
    before = complaints(web.platform)
    refused = web.post(f"{FORM}?lang=ru", data={"crux": CRUX, "csrf_token": "0" * 64})
    assert refused.status_code == 400
    assert t("ru", "error.csrf") in refused.text
    assert CRUX in refused.text
    assert complaints(web.platform) == before
    # A token made for another browser's cookie does not fit this one either.
    other = TestClient(web.app, base_url="http://web.test")
    foreign = csrf_of(other.get(FORM).text)
    assert web.post(FORM, data={"crux": CRUX, "csrf_token": foreign}).status_code == 400
    assert complaints(web.platform) == before


def test_intakes_rate_limit_is_said_in_plain_words(web) -> None:
    token = csrf_of(web.get(f"{FORM}?lang=kk").text)
    for _ in range(20):  # intake allows 20 web submissions per hour per address
        ok = web.post(FORM, data={"csrf_token": token, "crux": CRUX}, follow_redirects=False)
        assert ok.status_code == 303
    limited = web.post(FORM, data={"csrf_token": token, "crux": CRUX + " 21"})
    assert limited.status_code == 429
    assert t("kk", "error.rate_limited", minutes=60) in limited.text
    assert CRUX + " 21" in limited.text


def test_the_language_comes_from_the_choice_then_the_cookie_then_the_browser(web) -> None:
    first = web.get(FORM, headers={"Accept-Language": "kk-KZ,ru;q=0.8"})
    assert '<html lang="kk">' in first.text and first.headers["content-language"] == "kk"
    chosen = web.get(f"{FORM}?lang=en", headers={"Accept-Language": "kk"})
    assert '<html lang="en">' in chosen.text
    later = web.get(FORM, headers={"Accept-Language": "kk"})  # the choice is remembered
    assert '<html lang="en">' in later.text
    assert t("en", "complaint.title") in later.text


def test_every_page_has_the_security_headers(web) -> None:
    for path in ("/", FORM, "/follow-up", "/t/nope/nowhere/complaint"):
        response = web.get(path)
        assert response.headers["content-security-policy"].startswith("default-src 'self'")
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    cookie = web.get(FORM, headers={"Cookie": ""}).headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert web.get("/t/nope/nowhere/complaint").status_code == 404
    assert web.get("/vendor/htmx.min.js").status_code == 200
    assert web.get("/vendor/../../pyproject.toml").status_code == 404


def test_a_wrong_receipt_code_is_said_next_to_the_field(web) -> None:
    token = csrf_of(web.get("/follow-up?lang=ru").text)
    wrong = web.post(
        "/follow-up", data={"csrf_token": token, "code": "ABCDE-ABCDE-ABCDE-ABCDE-ABCDE"}
    )
    assert wrong.status_code == 422
    assert re.search(
        r'id="code-error">[^<]*' + re.escape(t("ru", "followup.code.unknown")), wrong.text
    )
    # The code never travels in a URL to intake: it is a header.
    status_calls = [r for r in web.transport_log if r.url.path == "/v1/follow-up/status"]
    assert status_calls and all("ABCDE" not in str(r.url) for r in status_calls)
    assert status_calls[-1].headers["receipt-code"] == "ABCDE-ABCDE-ABCDE-ABCDE-ABCDE"


def test_when_intake_is_down_the_visitor_is_told_and_keeps_the_text(tmp_path: Path) -> None:
    app = create_app(WebSettings(intake_url="http://127.0.0.1:9", data_dir=tmp_path, timeout_s=2))
    with TestClient(app, base_url="http://web.test") as client:
        page = client.get(f"{FORM}?lang=ru")
        assert page.status_code == 503
        assert t("ru", "unavailable.title") in page.text
        sent = client.post(f"{FORM}?lang=ru", data={"crux": CRUX, "area": "education"})
        assert sent.status_code == 503
        assert t("ru", "unavailable.text") in sent.text
        assert CRUX in sent.text and 'value="education" selected' in sent.text


def test_an_htmx_message_after_the_follow_up_session_ended_navigates_to_the_code_form(web) -> None:
    expired = web.post(
        "/follow-up/messages", data={"body": "hello"}, headers={"HX-Request": "true"},
        follow_redirects=False,
    )  # fmt: skip
    assert expired.status_code == 204 and expired.headers["hx-redirect"] == "/follow-up"
    plain = web.post("/follow-up/messages", data={"body": "hello"}, follow_redirects=False)
    assert plain.status_code == 303 and plain.headers["location"] == "/follow-up"


def test_cookies_are_secure_on_https(sqlite_platform, tmp_path: Path) -> None:
    app = create_app(
        WebSettings(intake_url="http://intake.test", data_dir=tmp_path),
        intake_transport=httpx.ASGITransport(app=sqlite_platform.apps["intake"]),
    )
    with TestClient(app, base_url="https://web.test") as client:
        cookie = client.get(f"{FORM}?lang=kk").headers.get_list("set-cookie")
    assert cookie and all("Secure" in c and "HttpOnly" in c for c in cookie)


def follow_up_with(web, code: str, lang: str) -> str:  # type: ignore[no-untyped-def]
    """Enter the receipt code on the follow-up page; return the status page."""
    token = csrf_of(web.get(f"/follow-up?lang={lang}").text)
    entered = web.post("/follow-up", data={"csrf_token": token, "code": code})
    assert entered.status_code == 200, entered.text  # followed the 303 to /follow-up
    return entered.text


def test_the_complainant_answers_the_consent_request_in_their_language(web) -> None:
    p = web.platform
    created = p.intake.post(
        "/v1/complaints", headers=p.headers("vera"),
        json={"channel": "hotline", "crux": CRUX, "contact": {"phone": "+77010000002"}},
    )  # fmt: skip
    assert created.status_code == 201, created.text
    cid, code = created.json()["id"], created.json()["receipt_code"]
    p.pump()
    page = follow_up_with(web, code, "kk")
    assert 'id="consent"' not in page  # no request while the case is under review
    (case,) = [
        c
        for c in p.cases.get("/v1/cases", headers=p.headers("kazbek")).json()["items"]
        if c["complaint_id"] == cid
    ]
    version = case["version"]
    for to_status in ("assessment", "awaiting_consent"):
        moved = p.cases.post(
            f"/v1/cases/{case['id']}/transitions", headers=p.headers("kazbek"),
            json={"to_status": to_status, "reason": "test", "version": version},
        )  # fmt: skip
        assert moved.status_code == 200, moved.text
        version = int(moved.headers["ETag"].strip('"'))
    p.pump()
    page = web.get("/follow-up").text
    assert 'id="consent"' in page and t("kk", "followup.consent.formal_action") in page
    token = csrf_of(page)
    # Nothing chosen: said next to the answers, in Kazakh, nothing sent to intake.
    empty = web.post("/follow-up/consent", data={"csrf_token": token})
    assert empty.status_code == 422
    assert re.search(
        r'id="consent-error">[^<]*' + re.escape(t("kk", "followup.consent.missing")), empty.text
    )
    assert not [r for r in web.transport_log if r.url.path == "/v1/follow-up/consent"]
    # A forged post (no CSRF token) sends nothing either.
    forged = web.post("/follow-up/consent", data={"formal_action": "yes"})
    assert forged.status_code == 422
    assert not [r for r in web.transport_log if r.url.path == "/v1/follow-up/consent"]

    answered = web.post(
        "/follow-up/consent",
        data={"csrf_token": token, "formal_action": "yes", "media": "no"},
        follow_redirects=False,
    )
    assert answered.status_code == 303
    assert answered.headers["location"] == "/follow-up?done=consent"
    (sent,) = [r for r in web.transport_log if r.url.path == "/v1/follow-up/consent"]
    assert json.loads(sent.content) == {"formal_action": True, "media": False}
    assert sent.headers["receipt-code"] == code
    done = web.get("/follow-up?done=consent").text
    assert t("kk", "followup.done.consent") in done
    assert 'id="formal_action-yes" name="formal_action" value="yes" aria-describedby' in done
    assert re.search(r'id="formal_action-yes"[^>]* checked', done)
    assert re.search(r'id="media-no"[^>]* checked', done)
    p.pump()
    consents = p.cases.get(f"/v1/cases/{case['id']}/consents", headers=p.headers("kazbek"))
    assert [(c["scopes"], c["how_given"]) for c in consents.json()] == [
        (["formal_action"], "intake_record")
    ]


def test_an_anonymous_complainant_is_told_why_consent_cannot_be_given(web) -> None:
    p = web.platform
    created = p.intake.post(
        "/v1/complaints", headers=p.headers("vera"),
        json={"channel": "hotline", "crux": CRUX, "anonymous": True},
    )  # fmt: skip
    code = created.json()["receipt_code"]
    page = follow_up_with(web, code, "ru")
    assert 'id="consent"' not in page
    refused = web.post(
        "/follow-up/consent", data={"csrf_token": csrf_of(page), "formal_action": "yes"}
    )
    assert refused.status_code == 422
    assert re.search(r'id="consent-error">[^<]*по анонимному обращению нельзя', refused.text)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00" + b"\x00" * 60


def attachments_of(platform, complaint_id: str) -> list[dict]:  # type: ignore[no-untyped-def]
    return platform.intake.get(
        f"/v1/complaints/{complaint_id}/attachments", headers=platform.headers("lena")
    ).json()


def test_the_form_sends_its_files_with_the_complaint_and_says_which_were_refused(web) -> None:
    page = web.get(f"{FORM}?lang=ru")
    sent = web.post(
        f"{FORM}?lang=ru",
        data={"csrf_token": csrf_of(page.text), "crux": CRUX, "anonymous": "yes"},
        files=[
            ("files", ("квитанция.pdf", PDF, "application/pdf")),
            ("files", ("program.exe", EXE, "application/octet-stream")),
        ],
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    receipt = web.get(f"{FORM}/receipt").text
    assert "квитанция.pdf — " + t("ru", "receipt.file.attached") in receipt
    assert 'enctype="multipart/form-data"' in page.text and 'type="file"' in page.text
    refused = t("ru", "receipt.file.refused").format(reason=t("ru", "file.reason.type"))
    assert "program.exe — " + refused in receipt
    assert t("ru", "receipt.files.later") in receipt
    (filed,) = [r for r in web.transport_log if r.url.path == "/v1/public/complaints"]
    uploads = [r for r in web.transport_log if r.url.path == "/v1/follow-up/attachments"]
    assert len(uploads) == 2
    code = re.search(r'id="receipt-code"[^>]*>([0-9A-Z-]{29})<', receipt).group(1)
    assert all(r.headers["receipt-code"] == code for r in uploads)
    assert all(r.headers["x-forwarded-for"] == "testclient" for r in uploads)
    status = web.platform.intake.get("/v1/follow-up/status", headers={"Receipt-Code": code})
    assert status.status_code == 200
    with web.platform.runtime("intake").engine.connect() as conn:
        rows = conn.execute(
            text("select filename, content_type, source from complaint_attachments")
        ).all()
    assert [tuple(r) for r in rows] == [("квитанция.pdf", "application/pdf", "complainant")]
    assert json.loads(filed.content)["crux"] == CRUX


def test_too_many_or_too_large_files_are_said_before_anything_is_filed(web) -> None:
    page = web.get(f"{FORM}?lang=en")
    before = complaints(web.platform)
    many = web.post(
        f"{FORM}?lang=en",
        data={"csrf_token": csrf_of(page.text), "crux": CRUX},
        files=[("files", (f"{i}.pdf", PDF, "application/pdf")) for i in range(4)],
    )
    assert many.status_code == 422
    assert re.search(
        r'id="files-error">[^<]*' + re.escape(t("en", "error.field.files_many").format(count=3)),
        many.text,
    )
    assert CRUX in many.text  # the text is kept
    large = web.post(
        f"{FORM}?lang=en",
        data={"csrf_token": csrf_of(page.text), "crux": CRUX},
        files=[("files", ("big.pdf", PDF + b"x" * 1_000_001, "application/pdf"))],
    )
    assert large.status_code == 422
    assert 'id="files-error"' in large.text and "big.pdf" in large.text
    assert complaints(web.platform) == before
    assert not [r for r in web.transport_log if r.url.path == "/v1/follow-up/attachments"]


def test_a_file_can_be_sent_later_on_the_follow_up_page(web) -> None:
    created = web.platform.intake.post(
        "/v1/public/complaints",
        json={"tenant": "tk", "office": "almaty", "crux": CRUX, "anonymous": True},
    )
    code = created.json()["receipt_code"]
    page = follow_up_with(web, code, "kk")
    assert 'id="file"' in page
    token = csrf_of(page)
    missing = web.post("/follow-up/attachments", data={"csrf_token": token})
    assert missing.status_code == 422
    assert re.search(
        r'id="file-error">[^<]*' + re.escape(t("kk", "error.field.file_missing")), missing.text
    )
    refused = web.post(
        "/follow-up/attachments", data={"csrf_token": token},
        files={"file": ("x.exe", EXE, "application/octet-stream")},
    )  # fmt: skip
    assert refused.status_code == 422
    assert re.search(
        r'id="file-error">[^<]*' + re.escape(t("kk", "file.reason.type")), refused.text
    )
    sent = web.post(
        "/follow-up/attachments", data={"csrf_token": token},
        files={"file": ("анықтама.pdf", PDF, "application/pdf")}, follow_redirects=False,
    )  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"] == "/follow-up?done=attached"
    assert t("kk", "followup.done.attached") in web.get("/follow-up?done=attached").text
    listed = attachments_of(web.platform, created.json()["id"])
    assert [(a["filename"], a["content_type"]) for a in listed] == [
        ("анықтама.pdf", "application/pdf")
    ]
