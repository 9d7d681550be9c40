"""Progress e-mails to complainants against a real SMTP server on loopback (aiosmtpd, the
kernel's mail catcher), reading the delivered messages.

Intake runs alone (this folder's harness, conftest.py) and is driven by contract-valid case
events published on its real log bus, as cases would publish them: the complaints are filed
through intake's own API, with the contact kept in its vault."""

from __future__ import annotations

import logging
import uuid
from email.message import EmailMessage

import progress_world
import pytest
from progress_world import FOLLOWUP, TEXTS, Mailing
from tenant_registry import demo_spec

from alac_kernel.delivery import CANCELLED, PENDING, SENT
from alac_kernel.mailcatcher import MailCatcher
from alac_kernel.testing.processes import wait_for

intake = progress_world.intake  # the fixture: intake alone with its own mail server


def bodies(message: EmailMessage) -> tuple[str, str]:
    return (
        message.get_body(("plain",)).get_content(),  # type: ignore[union-attr]
        message.get_body(("html",)).get_content(),  # type: ignore[union-attr]
    )


def test_progress_arrives_once_in_the_complainants_language_without_the_complaint(
    intake: Mailing, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    filed = {}
    for lang in ("kk", "ru", "en"):
        crux = f"Судья требует деньги за ускорение дела. {uuid.uuid4().hex[:8]}"
        complaint_id, code = intake.file(
            crux, preferred_language=lang, safe_to_contact=True,
            contact={"name": "Айгерим", "email": f"complainant-{lang}@example.kz"},
        )  # fmt: skip
        filed[lang] = (complaint_id, code, crux, str(uuid.uuid4()))
    for complaint_id, _, _, case_id in filed.values():
        intake.case_event("case.opened", case_id, complaint_id)
    assert intake.consume() == 3
    assert intake.send() == 3
    got = {m["X-Catcher-To"]: m for m in intake.catcher.messages()}
    assert len(intake.catcher.messages()) == 3
    for lang, (complaint_id, code, crux, case_id) in filed.items():
        message = got[f"complainant-{lang}@example.kz"]
        assert message.get_content_type() == "multipart/alternative"
        assert message["Content-Language"] == lang
        assert message["Subject"] == TEXTS[lang]["subject"]
        assert message["From"] == "Legal Advice Centre <no-reply@alac.example.org>"
        text, html = bodies(message)
        link = f"{FOLLOWUP}?lang={lang}"
        assert TEXTS[lang]["news"] in text and TEXTS[lang]["news"] in html
        assert link in text and f'href="{link}"' in html
        whole = message.as_string() + text + html
        # Nothing beyond "there is news": no text, code, name, status or identifiers.
        for secret in (crux[:30], code, code.replace("-", ""), "Айгерим", complaint_id,
                       case_id, "under_review", "triage"):  # fmt: skip
            assert secret not in whole
        assert intake.status(code) == "under_review"  # the follow-up page has the news

    # The same event again (redelivered): nothing new is sent.
    kk_id, kk_code, _, kk_case = filed["kk"]
    opened = intake.case_event("case.opened", kk_case, kk_id)
    intake.consume()
    intake.publish(opened)
    intake.consume()
    intake.send()
    assert len(intake.catcher.messages()) == 3
    # A step the complainant's page does not show (triage -> assessment: still "under
    # review") sends nothing; one it shows (in action: "in progress") sends one more.
    intake.case_event("case.status_changed", kk_case, kk_id, from_status="triage",
                      to_status="assessment")  # fmt: skip
    intake.consume()
    assert intake.send() == 0
    intake.case_event("case.status_changed", kk_case, kk_id, from_status="assessment",
                      to_status="in_action")  # fmt: skip
    intake.consume()
    assert intake.send() == 1
    assert intake.status(kk_code) == "in_progress"
    assert len([m for m in intake.catcher.messages()
                if m["X-Catcher-To"] == "complainant-kk@example.kz"]) == 2  # fmt: skip

    # The record of every e-mail: to which complaint, for which event, when; no address.
    rows = intake.deliveries()
    assert len(rows) == 4 and all(r["state"] == SENT and r["sent_at"] for r in rows)
    assert {r["recipient"] for r in rows} == {c for c, _, _, _ in filed.values()}
    assert [r["event_type"] for r in rows] == ["case.opened"] * 3 + ["case.status_changed"]
    assert all(r["event_id"] for r in rows)
    assert not any("@example.kz" in str(v) for r in rows for v in r.values())
    sent = [r for r in caplog.records if r.getMessage() == "mail sent"]
    assert len(sent) == 4
    assert {r.recipient for r in sent} == {c for c, _, _, _ in filed.values()}  # type: ignore[attr-defined]
    assert {r.event_type for r in sent} == {"case.opened", "case.status_changed"}  # type: ignore[attr-defined]
    # Our own log lines (the test's SMTP server logs what it receives; it is not ours).
    ours = [r for r in caplog.records if r.name.startswith("alac")]
    logged = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in ours)
    assert "@example.kz" not in logged and TEXTS["kk"]["news"] not in logged
    assert not any(crux[:30] in logged for _, _, crux, _ in filed.values())


def test_progress_is_written_in_a_language_the_centre_works_in(intake: Mailing) -> None:
    """A complainant who chose English, at a centre the registry then says works in Kazakh
    only, is written to in Kazakh (alac_kernel.languages.for_centre); so is one who chose no
    language (Russian elsewhere: the fallback, when the centre works in it)."""
    crux = "Акимат требует плату за справку."
    english, _ = intake.file(crux, preferred_language="en", safe_to_contact=True,
                             contact={"email": "english@example.kz"})  # fmt: skip
    unstated, _ = intake.file(crux, safe_to_contact=True, contact={"email": "none@example.kz"})
    intake.registry("tenant.onboarded", demo_spec("tk", languages=["kk"]))
    for complaint_id in (english, unstated):
        intake.case_event("case.opened", str(uuid.uuid4()), complaint_id)
    intake.consume()
    assert intake.send() == 2
    got = {m["X-Catcher-To"]: m for m in intake.catcher.messages()}
    for address in ("english@example.kz", "none@example.kz"):
        assert got[address]["Content-Language"] == "kk"
        assert got[address]["Subject"] == TEXTS["kk"]["subject"]


def test_anonymous_and_non_consenting_complainants_are_never_emailed(intake: Mailing) -> None:
    crux = "Акимат требует плату за справку."
    never = [
        intake.file(crux, anonymous=True, preferred_language="ru", safe_to_contact=True)[0],
        intake.file(crux, safe_to_contact=False, contact={"email": "no@example.kz"})[0],
        intake.file(crux, contact={"email": "unstated@example.kz"})[0],  # not asked: no
        intake.file(crux, safe_to_contact=True, contact={"phone": "+77011234567"})[0],
    ]
    for complaint_id in never:
        case_id = str(uuid.uuid4())
        anonymous = complaint_id == never[0]
        intake.case_event("case.opened", case_id, complaint_id, anonymous=anonymous)
        intake.case_event("case.status_changed", case_id, complaint_id, from_status="triage",
                          to_status="in_action")  # fmt: skip
        intake.case_event("case.closed", case_id, complaint_id)
    # One who agreed, then said no before the e-mail went: it is not sent either.
    changed_mind, _ = intake.file(crux, safe_to_contact=True,
                                  contact={"email": "changed@example.kz"})  # fmt: skip
    intake.case_event("case.opened", str(uuid.uuid4()), changed_mind)
    assert intake.consume() == 13
    assert [r["state"] for r in intake.deliveries()] == [PENDING]
    path = f"/v1/complaints/{changed_mind}"
    etag = intake.client.get(path, headers=intake.issuer.headers("vera")).headers["ETag"]
    patched = intake.client.patch(path, json={"safe_to_contact": False},
                                  headers={**intake.issuer.headers("vera"), "If-Match": etag})  # fmt: skip
    assert patched.status_code == 200, patched.text
    assert intake.send() == 0
    assert intake.catcher.messages() == []
    assert [(r["recipient"], r["state"]) for r in intake.deliveries()] == [
        (changed_mind, CANCELLED)
    ]


def test_an_smtp_outage_delays_then_delivers_without_duplicates(intake: Mailing) -> None:
    complaint_id, _ = intake.file(
        "Полиция не регистрирует заявление.", preferred_language="ru", safe_to_contact=True,
        contact={"email": "waiting@example.kz"},
    )  # fmt: skip
    folder, port = intake.catcher.folder, intake.catcher.port
    intake.catcher.stop()  # the mail server is down
    intake.case_event("case.opened", str(uuid.uuid4()), complaint_id)
    intake.consume()
    assert intake.send() == 0
    (row,) = intake.deliveries()
    assert row["state"] == PENDING and row["attempts"] == 1
    assert "cannot be reached" in row["last_error"]
    # Back, but refusing for a while (a temporary 4xx): still waiting, not given up.
    intake.catcher = MailCatcher(folder, port=port).start()
    intake.catcher.refuse_with = "451 4.3.0 Try again later"

    def refused_again() -> bool:
        intake.send()
        return intake.deliveries()[0]["attempts"] >= 2

    wait_for(refused_again, 30, "a second attempt", interval_s=0.05)
    assert intake.deliveries()[0]["state"] == PENDING
    assert "451" in intake.deliveries()[0]["last_error"]
    assert intake.catcher.messages() == []
    intake.catcher.refuse_with = None

    def delivered() -> bool:
        intake.send()
        return bool(intake.catcher.messages())

    try:
        wait_for(delivered, 30, "the e-mail after the outage", interval_s=0.05)
        for _ in range(3):  # more passes send nothing more
            assert intake.send() == 0
        (message,) = intake.catcher.messages()
    finally:
        intake.catcher.stop()
    assert message["X-Catcher-To"] == "waiting@example.kz"
    assert message["Content-Language"] == "ru"
    (row,) = intake.deliveries()
    assert row["state"] == SENT and row["attempts"] >= 3
    assert message["Message-ID"] == f"<{row['id']}@alac.example.org>"
