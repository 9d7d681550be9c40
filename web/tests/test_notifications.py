"""The console's notifications in-process over the real issuer, intake, cases and search apps
(the root conftest's `sqlite_platform`): the bell's unread count on every staff page (without
JavaScript) and as htmx's fragment, the list with links to the cases, "mark read" and "mark
all read" (CSRF-protected posts), the preferences form with its errors next to the fields in
kk, ru and en, and the tenant admin's e-mails that could not be delivered (refused by a real
SMTP server on loopback): staff notifications, and complainants' progress e-mails with "retry
now"."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from console_helpers import as_user, file_complaint, make_web, open_case, token_of
from sqlalchemy import update

from alac_cases.notifications.delivery import mail_relay, send_due
from alac_cases.staff.models import StaffMember
from alac_kernel.db import session_scope
from alac_kernel.mail import SmtpMailer
from alac_kernel.mailcatcher import MailCatcher

LOCALES = Path(__file__).resolve().parents[1] / "src" / "alac_web" / "locales"
BELL = re.compile(r'<a id="bell"[^>]*data-unread="(\d*)"')


def t(lang: str, key: str, **values: object) -> str:
    text = json.loads((LOCALES / f"notifications.{lang}.json").read_text("utf-8"))[key]
    return text.format(**values) if values else text


@pytest.fixture
def web(sqlite_platform, tmp_path: Path):  # type: ignore[no-untyped-def]
    with make_web(sqlite_platform, tmp_path) as client:
        client.platform = sqlite_platform  # type: ignore[attr-defined]
        yield client


def test_the_notification_catalogues_have_every_key_in_every_language() -> None:
    keys = {lang: set(json.loads((LOCALES / f"notifications.{lang}.json").read_text("utf-8")))
            for lang in ("kk", "ru", "en")}  # fmt: skip
    assert keys["kk"] == keys["ru"] == keys["en"]
    package = LOCALES.parent
    used: set[str] = set()
    for source in [*(package / "templates" / "notifications").glob("*.html"),
                   package / "notifications.py"]:  # fmt: skip
        used |= set(re.findall(r"""["'](notify\.[a-z_.]*[a-z])["']""", source.read_text("utf-8")))
    # composed: "notify.show." ~ s, "notify.done." ~ done, ui.message's .title and .text, ...
    used -= {"notify.action_failed"}
    used |= {f"notify.show.{s}" for s in ("all", "unread")} | {
        "notify.done.read",
        "notify.done.all",
        "notify.done.retried",
        "notify.action_failed.title",
        "notify.action_failed.text",
    }
    used |= {f"notify.prefs.digest.{d}" for d in ("off", "daily")}
    used |= {f"notify.prefs.field.{f}" for f in ("email", "digest", "quiet_start", "quiet_end")}
    assert len(used) > 40 and used - keys["en"] == set()


def bell(page: str) -> str:
    found = BELL.search(page)
    assert found, "the page has the bell"
    return found.group(1)


def assign_to_lena(p, count: int, **registry: str) -> list[dict]:  # type: ignore[no-untyped-def]
    """`count` cases assigned to lena by the coordinator: one notification each for her.
    `registry`: more of her staff registry row (e-mail, language, name), as an invitation
    through the identity provider would have filled it."""
    lena = p.issuer.dev.subject_of("lena")
    added = p.cases.post("/v1/staff", headers=p.headers("tamara"),
                         json={"subject": lena, "office": "almaty", "role": "lawyer"})  # fmt: skip
    assert added.status_code in (200, 201), added.text
    if registry:
        with session_scope(p.runtime("cases").session_factory, all_tenants=True) as session:
            session.execute(
                update(StaffMember).where(StaffMember.subject == lena).values(**registry)
            )
    cases = []
    for n in range(count):
        case = open_case(p, f"Судья требует деньги за ускорение дела номер {n}.")
        version = p.cases.get(f"/v1/cases/{case['id']}", headers=p.headers("kazbek")).json()
        assigned = p.cases.post(f"/v1/cases/{case['id']}/assignment", headers=p.headers("kazbek"),
                                json={"assignee": lena, "version": version["version"]})  # fmt: skip
        assert assigned.status_code in (200, 201), assigned.text
        cases.append(case)
    p.pump()
    return cases


def test_the_bell_counts_and_reading_brings_it_to_zero(web) -> None:
    p = web.platform
    cases = assign_to_lena(p, 3)
    as_user(web, "lena")
    home = web.get("/staff?lang=en").text
    assert bell(home) == "3"  # on every staff page, without JavaScript
    assert 'href="/staff/notifications"' in home and t("en", "notify.bell.unread", count=3) in home
    fragment = web.get("/staff/notifications/bell", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and bell(fragment.text) == "3"
    assert "<html" not in fragment.text  # the bell alone, for htmx to swap in

    listing = web.get("/staff/notifications?lang=ru").text
    assert t("ru", "notify.title") in listing and t("ru", "notify.unread_count", count=3) in listing
    for case in cases:
        assert f'href="/staff/cases/{case["id"]}"' in listing
    ids = re.findall(r'data-notification="([0-9a-f-]+)"[^>]*data-read="no"', listing)
    assert len(ids) == 3
    # Without the form token nothing changes.
    forged = web.post(f"/staff/notifications/{ids[0]}/read", data={}, follow_redirects=False)
    assert forged.status_code == 400
    assert bell(web.get("/staff?lang=ru").text) == "3"

    read = web.post(f"/staff/notifications/{ids[0]}/read?lang=ru",
                    data={"csrf_token": token_of(listing)}, follow_redirects=False)  # fmt: skip
    assert read.status_code == 303 and read.headers["location"].endswith("done=read")
    after = web.get(read.headers["location"]).text
    assert t("ru", "notify.done.read") in after and bell(after) == "2"
    assert re.search(rf'data-notification="{ids[0]}"[^>]*data-read="yes"', after)
    unread_only = web.get("/staff/notifications?show=unread&lang=kk").text
    assert len(re.findall(r'data-read="no"', unread_only)) == 2 and ids[0] not in unread_only

    everything = web.post("/staff/notifications/read-all?lang=kk",
                          data={"csrf_token": token_of(unread_only), "show": "unread"},
                          follow_redirects=False)  # fmt: skip
    assert everything.status_code == 303
    done = web.get(everything.headers["location"]).text
    assert t("kk", "notify.done.all") in done and t("kk", "notify.none_unread") in done
    assert bell(done) == "0" and bell(web.get("/staff/cases?lang=kk").text) == "0"
    assert p.cases.get("/v1/notifications", headers=p.headers("lena")).json()["unread"] == 0

    # Another user's notifications are not lena's: the coordinator has none of these.
    as_user(web, "kazbek")
    assert bell(web.get("/staff?lang=en").text) == "0"
    assert web.post(f"/staff/notifications/{ids[1]}/read",
                    data={"csrf_token": token_of(web.get("/staff/notifications").text)},
                    follow_redirects=False).status_code == 404  # fmt: skip

    # Signed out: the list goes to the sign-in, the bell's refresh keeps what it has.
    web.cookies.clear()
    assert web.get("/staff/notifications", follow_redirects=False).status_code == 303
    assert web.get("/staff/notifications/bell").status_code == 204


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_preferences_with_errors_next_to_their_fields(web, lang: str) -> None:
    p = web.platform
    as_user(web, "lena")
    page = web.get(f"/staff/notifications/preferences?lang={lang}").text
    assert t(lang, "notify.prefs.title") in page
    token = token_of(page)

    def save(**values: str):  # type: ignore[no-untyped-def]
        return web.post(f"/staff/notifications/preferences?lang={lang}",
                        data={"csrf_token": token, "digest": "off", **values},
                        follow_redirects=False)  # fmt: skip

    wrong = save(email="yes", quiet_start="25:00", quiet_end="07:00")
    assert wrong.status_code == 422
    assert t(lang, "notify.error.time", value="25:00") in wrong.text
    assert 'id="quiet_start-error"' in wrong.text and 'aria-invalid="true"' in wrong.text
    assert 'value="07:00"' in wrong.text  # what was chosen is kept
    half = save(email="yes", quiet_start="22:00")
    assert half.status_code == 422 and 'id="quiet_end-error"' in half.text
    assert t(lang, "notify.error.both") in half.text
    assert save(email="yes", digest="weekly").status_code == 422
    forged = web.post("/staff/notifications/preferences", data={"email": "no"},
                      follow_redirects=False)  # fmt: skip
    assert forged.status_code == 400
    before = p.cases.get("/v1/notifications/preferences", headers=p.headers("lena")).json()
    assert before["quiet_hours"] is None  # nothing was saved by the refused forms

    saved = save(digest="daily", quiet_start="22:00", quiet_end="07:00")  # e-mail unticked
    assert saved.status_code == 303
    shown = web.get(saved.headers["location"]).text
    assert t(lang, "notify.prefs.saved") in shown
    assert 'value="22:00"' in shown and 'value="07:00"' in shown
    assert re.search(r'id="digest-daily"[^>]*checked', shown)
    assert not re.search(r'id="email"[^>]*checked', shown)
    stored = p.cases.get("/v1/notifications/preferences", headers=p.headers("lena")).json()
    assert stored == {"email": False, "digest": "daily",
                      "quiet_hours": {"start": "22:00", "end": "07:00"}}  # fmt: skip


def test_a_tenant_admin_sees_the_e_mails_that_could_not_be_delivered(web, tmp_path) -> None:
    """lena's e-mail is refused for good by a real SMTP server (550): her tenant admin sees
    it on the notifications page; lena, a lawyer, does not get that section."""
    p = web.platform
    assign_to_lena(p, 1, email="lena@tk.example.org", language="ru", display_name="Елена")
    runtime = p.runtime("cases")
    catcher = MailCatcher(tmp_path / "mail").start()
    catcher.refuse_with = "550 5.7.1 Relaying denied"
    try:
        # The platform's own settings point at no server: this relay uses the test's one.
        mail_relay(runtime).mailer = SmtpMailer(host=catcher.host, port=catcher.port)
        assert send_due(runtime) == 0
    finally:
        catcher.stop()
    assert catcher.messages() == []

    as_user(web, "tamara")
    page = web.get("/staff/notifications?lang=ru").text
    assert 'id="failed-deliveries"' in page and t("ru", "notify.undelivered.title") in page
    (row,) = re.findall(r'<tr data-delivery="[^"]+" data-state="(\w+)">(.*?)</tr>', page, re.S)
    assert row[0] == "failed" and "Елена" in row[1] and "case_assigned" in row[1]
    assert t("ru", "notify.undelivered.given_up", attempts=1) in row[1] and "550" in row[1]
    assert "lena@tk.example.org" not in page  # to whom by name, never the address

    as_user(web, "lena")
    page = web.get("/staff/notifications?lang=ru").text
    assert "failed-deliveries" not in page and t("ru", "notify.undelivered.title") not in page


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_a_tenant_admin_sees_and_retries_a_complainants_e_mail_that_failed(
    web, tmp_path, lang: str
) -> None:
    """A complainant who asked for progress e-mails: the real SMTP server refuses the one sent
    when the case opens (550, quoting the address). Her tenant admin sees it on the
    notifications page by complaint, never by address, retries it (a plain form post, no
    JavaScript) and it arrives; a lawyer gets no such section."""
    p = web.platform
    case, _ = file_complaint(
        p, "Полиция не регистрирует заявление.", preferred_language=lang, safe_to_contact=True,
        contact={"name": "Айгерим", "email": "aigerim@example.kz"},
    )  # fmt: skip
    runtime = p.runtime("intake")
    catcher = MailCatcher(tmp_path / "mail").start()
    try:
        # The platform's own settings point at no server: this relay uses the test's one.
        runtime.progress.relay(runtime).mailer = SmtpMailer(host=catcher.host, port=catcher.port)
        catcher.refuse_with = "550 5.7.1 <aigerim@example.kz>: refused by policy"
        assert runtime.progress.send_due(runtime) == 0
        assert catcher.messages() == []

        as_user(web, "tamara")
        page = web.get(f"/staff/notifications?lang={lang}").text
        assert 'id="complainant-mail"' in page and t(lang, "notify.complainant.title") in page
        (row,) = re.findall(r'<tr data-complainant-mail="([^"]+)" data-state="(\w+)">(.*?)</tr>',
                            page, re.S)  # fmt: skip
        delivery, state, cells = row
        reference = case["complaint_id"][:8]
        assert state == "failed" and "case.opened" in cells
        assert t(lang, "notify.complainant.reference", reference=reference) in cells
        assert t(lang, "notify.undelivered.given_up", attempts=1) in cells and "550" in cells
        assert "aigerim@example.kz" not in page and "Айгерим" not in page
        assert t(lang, "notify.complainant.retry") in cells

        catcher.refuse_with = None
        action = f"/staff/notifications/complainant-mail/{delivery}/retry?lang={lang}"
        forged = web.post(action, data={}, follow_redirects=False)
        assert forged.status_code == 400  # without the form's token nothing is retried
        retried = web.post(action, data={"csrf_token": token_of(page)}, follow_redirects=False)
        assert retried.status_code == 303 and retried.headers["location"].endswith("done=retried")
        after = web.get(retried.headers["location"]).text
        assert t(lang, "notify.done.retried") in after
        assert runtime.progress.send_due(runtime) == 1
        (message,) = catcher.messages()
        assert message["X-Catcher-To"] == "aigerim@example.kz"
    finally:
        catcher.stop()
    page = web.get(f"/staff/notifications?lang={lang}").text
    assert "data-complainant-mail=" not in page and t(lang, "notify.complainant.none") in page

    as_user(web, "lena")
    page = web.get(f"/staff/notifications?lang={lang}").text
    assert 'id="complainant-mail"' not in page


def test_a_role_without_notifications_gets_a_bell_without_a_count(web) -> None:
    """An analyst has no notifications in cases (403): the bell is still a link, with no
    count, and the list says the role does not allow it, in plain words."""
    as_user(web, "anuar")
    home = web.get("/staff?lang=en")
    assert home.status_code == 200 and bell(home.text) == ""
    assert 'class="count"' not in home.text
    listing = web.get("/staff/notifications?lang=en")
    assert listing.status_code == 200 and "Your role does not allow this." in listing.text
    assert web.get("/staff/notifications/bell").status_code == 204
