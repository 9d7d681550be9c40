"""Notifications end to end inside cases: events in, console notifications and e-mails out,
read back from a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from notification_world import CRUX, World, body_html, body_text, build, later

from alac_cases.deadlines import scheduler
from alac_cases.notifications import waiting
from alac_kernel.db import utcnow
from alac_kernel.testing.https_receiver import make_certificates


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Cases on SQLite and on PostgreSQL, with the real SMTP server on loopback."""
    with build(tmp_path, flavour=request.param) as built:
        yield built


def _deadline(world: World, case, days: int = 10) -> datetime:  # type: ignore[no-untyped-def]
    due_on = (date.today() + timedelta(days=days)).isoformat()
    response = world.client.post(
        f"/v1/cases/{case.id}/deadlines", json={"due_on": due_on}, headers=world.headers("lena")
    )
    assert response.status_code == 201, response.text
    return datetime.fromisoformat(response.json()["due_at"])


def _run_deadlines(world: World, now: datetime) -> None:
    scheduler.run_pass(
        session_factory=world.runtime.session_factory, outbox=world.runtime.outbox, now=now
    )
    world.pump()


def test_deadline_approaching_reaches_the_lawyer_once_in_their_language_over_starttls_and_auth(
    tmp_path: Path,
) -> None:
    tls = make_certificates(tmp_path / "tls")
    with build(tmp_path, tls=tls) as world:
        case = world.open_case(assignee="lena")
        due_at = _deadline(world, case)
        _run_deadlines(world, due_at - timedelta(days=1))
        _run_deadlines(world, due_at - timedelta(hours=20))  # a second pass: nothing new
        world.redeliver_everything()  # the same events again: the inbox skips them
        assert world.send_mail() == 1
        assert world.send_mail() == 0
        assert world.catcher.auth_attempts == ["alac-mail"]
        [message] = world.inbox_of("lena")
        assert len(world.catcher.messages()) == 1
        reference = case.id[:8]
        assert message["Content-Language"] == "kk"
        assert message["Subject"].startswith("Мерзім жақындап қалды")
        assert reference in message["Subject"]
        link = f"https://console.alac.test/staff/cases/{case.id}#deadlines"
        assert link in body_text(message)
        assert f'href="{link}"' in body_html(message)
        # The case reference and a link; never the complaint's text.
        assert CRUX not in message.as_string() and CRUX[:20] not in body_text(message)
        # The console: one unread notification, its title in the caller's language.
        page = world.notifications("lena")
        assert page["unread"] == 1
        [item] = page["items"]
        assert item["kind"] == "deadline_approaching" and item["case_reference"] == reference
        due_on = (date.today() + timedelta(days=10)).isoformat()
        assert item["title"] == f"Deadline approaching: case {reference} (custom), due {due_on}"
        assert item["link"] == f"/staff/cases/{case.id}#deadlines"
        russian = world.client.get(
            "/v1/notifications", headers=world.headers("lena", **{"Accept-Language": "ru"})
        ).json()
        assert russian["items"][0]["title"].startswith("Срок подходит")
        # The record of what was sent: to whom, for which event, when; no body stored.
        [sent] = world.deliveries()
        assert sent["state"] == "sent" and sent["recipient"] == world.subject("lena")
        assert sent["event_type"] == "case.deadline_approaching" and sent["sent_at"] is not None
        assert CRUX not in sent["payload"] and "@" not in sent["payload"]


def test_missed_deadline_reaches_the_coordinator(world: World) -> None:
    case = world.open_case(assignee="lena")
    due_at = _deadline(world, case)
    _run_deadlines(world, due_at + timedelta(hours=1))
    assert world.send_mail() == 2
    [to_kazbek] = world.inbox_of("kazbek")
    assert to_kazbek["Content-Language"] == "ru"
    assert to_kazbek["Subject"].startswith("Срок пропущен: дело " + case.id[:8])
    [to_lena] = world.inbox_of("lena")
    assert to_lena["Subject"].startswith("Мерзім өтіп кетті")
    # A missed deadline is not also "approaching"; the other staff hear nothing.
    assert world.notifications("lena")["unread"] == 1
    assert world.inbox_of("laura") == [] and world.inbox_of("tamara") == []


def test_unassigned_case_deadline_goes_to_the_office_coordinators(world: World) -> None:
    case = world.open_case(assignee=None)
    due_at = _deadline(world, case)
    _run_deadlines(world, due_at - timedelta(days=1))
    world.send_mail()
    assert len(world.inbox_of("kazbek")) == 1
    assert world.inbox_of("lena") == []


def test_complainant_message_reaches_the_assigned_lawyer(world: World) -> None:
    case = world.open_case(assignee="lena")
    world.message_posted(case)
    world.message_posted(case, direction="to_complainant")  # the office's answer: no one told
    world.pump()
    assert world.send_mail() == 1
    [message] = world.inbox_of("lena")
    assert case.id[:8] in message["Subject"]
    assert f"/staff/cases/{case.id}#messages" in body_text(message)
    assert world.inbox_of("kazbek") == []


def test_a_message_waiting_more_than_n_working_days_reaches_the_coordinator(
    world: World,
) -> None:
    # Posted on a Monday (2025-03-03, an ordinary week in Kazakhstan).
    posted = datetime.fromisoformat("2025-03-03T10:00:00+05:00")
    case = world.open_case(assignee="lena")
    answered = world.open_case(assignee="lena")
    world.message_posted(case, at=posted)
    world.message_posted(answered, at=posted)
    world.message_posted(answered, direction="to_complainant", at=posted + timedelta(hours=3))
    world.pump()
    factory = world.runtime.session_factory
    # Wednesday: two working days waited; the rule allows two.
    assert waiting.run_pass(session_factory=factory, now=posted + timedelta(days=2)).told == 0
    # Thursday: three working days; the coordinator is told, once.
    assert waiting.run_pass(session_factory=factory, now=posted + timedelta(days=3)).told == 1
    assert waiting.run_pass(session_factory=factory, now=posted + timedelta(days=4)).told == 0
    titles = [n["title"] for n in world.notifications("kazbek")["items"]]
    assert titles == [
        f"A complainant's message has waited 3 working days for an answer: case {case.id[:8]}"
    ]


def test_working_days_skip_weekends_and_holidays(world: World) -> None:
    with world.runtime.session_factory() as session:
        # Friday 2025-03-07 to Tuesday 2025-03-11: Saturday, Sunday and 8 March (a holiday,
        # moved to Monday 10 March) do not count: Tuesday alone.
        counted = waiting.working_days_between(session, date(2025, 3, 7), date(2025, 3, 11))
    assert counted == 1


def test_assignment_and_reassignment_tell_both_lawyers(world: World) -> None:
    case = world.open_case(assignee=None)
    first = world.client.post(
        f"/v1/cases/{case.id}/assignment",
        json={"assignee": "lena", "version": case.version},
        headers=world.headers("kazbek"),
    )
    assert first.status_code == 200, first.text
    second = world.client.post(
        f"/v1/cases/{case.id}/assignment",
        json={"assignee": "laura", "version": first.json()["version"]},
        headers=world.headers("kazbek"),
    )
    assert second.status_code == 200, second.text
    world.pump()
    kinds = {n["kind"] for n in world.notifications("lena")["items"]}
    assert kinds == {"case_assigned", "case_reassigned"}
    assert [n["kind"] for n in world.notifications("laura")["items"]] == ["case_assigned"]
    assert world.send_mail() == 3
    assert world.inbox_of("laura")[0]["Subject"] == f"Case {case.id[:8]} is assigned to you"


def test_taking_a_case_oneself_tells_no_one(world: World) -> None:
    case = world.open_case(assignee=None)
    taken = world.client.post(
        f"/v1/cases/{case.id}/assignment",
        json={"assignee": "lena", "version": case.version},
        headers=world.headers("lena"),
    )
    assert taken.status_code == 200, taken.text
    world.pump()
    assert world.notifications("lena")["items"] == []


def test_operational_events_reach_the_tenant_admin_and_alerts_the_coordinators(
    world: World,
) -> None:
    webhook = world.example("partner.webhook_disabled")
    world.publish("partner.webhook_disabled", webhook["partner_id"], webhook, tenant="tk")
    onboarded = world.example("tenant.onboarded")
    onboarded = {**onboarded, "tenant_id": "tk", "tenant": {**onboarded["tenant"], "id": "tk"}}
    world.publish("tenant.onboarded", "tk", onboarded, tenant="tk")
    alert = world.example("alert.pattern_detected")
    world.publish("alert.pattern_detected", alert["alert_id"], alert, tenant="tk")
    world.pump()
    assert [n["kind"] for n in world.notifications("tamara")["items"]] == [
        "tenant_onboarded",
        "webhook_disabled",
    ]
    [told] = world.notifications("kazbek")["items"]
    assert told["kind"] == "pattern_detected"
    assert told["link"] == f"/staff/alerts#alert-{alert['alert_id']}"
    assert told["title"] == "Pattern alert: respondent_body_type = school, 19 complaints"
    assert world.notifications("lena")["items"] == []
    # The other tenant's staff hear nothing of it.
    assert world.notifications("nurlan")["items"] == []


def test_a_case_referred_in_reaches_the_receiving_centres_coordinators(world: World) -> None:
    case = world.open_case(assignee="lena")
    referral = world.example("case.referred")
    referral = {
        **referral,
        "case_id": case.id,
        "complaint_id": case.complaint_id,
        "to_tenant": "ndi",
    }
    world.publish("case.referred", case.id, referral, tenant="tk")
    world.pump()
    [told] = world.notifications("nurlan")["items"]
    assert told["kind"] == "case_referred_in" and told["case_id"] is None
    assert world.notifications("kazbek")["items"] == []
    assert world.send_mail() == 1
    assert world.inbox_of("nurlan")[0]["Content-Language"] == "en"


def test_consent_recorded_tells_the_assignee(world: World) -> None:
    case = world.open_case(assignee="lena")
    consent = {**world.example("case.consent_recorded"), "case_id": case.id}
    world.publish("case.consent_recorded", case.id, consent, tenant="tk")
    world.pump()
    assert [n["kind"] for n in world.notifications("lena")["items"]] == ["consent_recorded"]


def test_smtp_outage_delays_then_delivers_without_duplicates(world: World) -> None:
    port = world.catcher.port
    world.catcher.stop()  # the mail server is down
    case = world.open_case(assignee="lena")
    world.message_posted(case)
    world.pump()
    assert world.send_mail() == 0
    [pending] = world.deliveries()
    assert pending["state"] == "pending" and pending["attempts"] == 1
    assert f"127.0.0.1:{port} cannot be reached" in pending["last_error"]
    # The tenant admin sees it, with the next attempt.
    failing = world.client.get(
        "/v1/notifications/deliveries", params={"status": "failed"}, headers=world.headers("tamara")
    )
    assert failing.status_code == 200, failing.text
    [shown] = failing.json()
    assert shown["recipient"] == world.subject("lena") and shown["recipient_name"] == "Lena"
    assert shown["attempts"] == 1 and shown["next_attempt_at"] is not None
    assert shown["event_type"] == "complaint.message_posted"
    # A second pass before the retry is due sends nothing and counts no attempt.
    assert world.send_mail() == 0
    world.catcher.start()  # back, on the same port
    retry_at = datetime.fromisoformat(shown["next_attempt_at"])
    assert world.send_mail(later(retry_at)) == 1
    assert world.send_mail(later(retry_at, 3600)) == 0
    assert len(world.inbox_of("lena")) == 1
    [sent] = world.deliveries()
    assert sent["state"] == "sent" and sent["attempts"] == 2
    nothing = world.client.get(
        "/v1/notifications/deliveries", params={"status": "failed"}, headers=world.headers("tamara")
    )
    assert nothing.json() == []


def test_a_refused_message_is_given_up_and_shown_to_the_tenant_admin_only(world: World) -> None:
    world.catcher.refuse_with = "554 5.7.1 mailbox unavailable"
    case = world.open_case(assignee="lena")
    world.message_posted(case)
    world.pump()
    world.send_mail()
    [failed] = world.client.get(
        "/v1/notifications/deliveries", headers=world.headers("tamara")
    ).json()
    assert failed["state"] == "failed" and "554" in failed["last_error"]
    assert failed["next_attempt_at"] is None
    assert world.send_mail(later(None, 10 * 86400)) == 0  # never tried again
    for user in ("lena", "kazbek"):
        refused = world.client.get("/v1/notifications/deliveries", headers=world.headers(user))
        assert refused.status_code == 403
    # Another tenant's admin sees none of it (ndi has no admin in the demo: dana is a lawyer).
    assert (
        world.client.get("/v1/notifications/deliveries", headers=world.headers("dana")).status_code
        == 403
    )


def _quiet_around(moment: datetime) -> dict:
    local = moment.astimezone(datetime.fromisoformat("2025-01-01T00:00:00+05:00").tzinfo)
    start = (local - timedelta(hours=1)).strftime("%H:%M")
    end = (local + timedelta(hours=2)).strftime("%H:%M")
    return {"start": start, "end": end}


def test_quiet_hours_defer_the_email_but_not_the_console(world: World) -> None:
    quiet = _quiet_around(utcnow())
    put = world.client.put(
        "/v1/notifications/preferences",
        json={"email": True, "digest": "off", "quiet_hours": quiet},
        headers=world.headers("lena"),
    )
    assert put.status_code == 200, put.text
    case = world.open_case(assignee="lena")
    world.message_posted(case)
    world.pump()
    assert world.notifications("lena")["unread"] == 1
    assert world.send_mail() == 0
    [held] = world.deliveries()
    ends = held["not_before"]
    assert ends is not None and ends > utcnow()
    local_end = ends.astimezone(datetime.fromisoformat("2025-01-01T00:00:00+05:00").tzinfo)
    assert local_end.strftime("%H:%M") == quiet["end"]
    assert world.send_mail(ends - timedelta(minutes=1)) == 0
    assert world.send_mail(ends) == 1
    assert len(world.inbox_of("lena")) == 1


def test_email_off_keeps_the_console_only(world: World) -> None:
    world.client.put(
        "/v1/notifications/preferences", json={"email": False}, headers=world.headers("lena")
    )
    case = world.open_case(assignee="lena")
    world.message_posted(case)
    world.pump()
    assert world.notifications("lena")["unread"] == 1
    assert world.deliveries() == [] and world.send_mail() == 0


def test_the_daily_digest_bundles_a_days_notifications_in_one_email(world: World) -> None:
    put = world.client.put(
        "/v1/notifications/preferences", json={"digest": "daily"}, headers=world.headers("lena")
    )
    assert put.status_code == 200 and put.json()["digest"] == "daily"
    first, second = world.open_case(assignee="lena"), world.open_case(assignee="lena")
    world.message_posted(first)
    world.message_posted(second)
    world.pump()
    assert world.notifications("lena")["unread"] == 2
    [digest] = world.deliveries()
    assert digest["kind"] == "digest"
    assert world.send_mail() == 0  # not before the digest's hour
    local = digest["not_before"].astimezone(
        datetime.fromisoformat("2025-01-01T00:00:00+05:00").tzinfo
    )
    assert local.strftime("%H:%M") == "08:00"
    assert world.send_mail(digest["not_before"]) == 1
    [message] = world.inbox_of("lena")
    text = body_text(message)
    assert first.id[:8] in text and second.id[:8] in text
    assert message["Subject"].endswith(": 2")
    assert world.send_mail(later(digest["not_before"], 86400)) == 0


def test_the_mail_falls_back_to_a_language_the_centre_works_in(tmp_path: Path) -> None:
    """lena reads Kazakh, but her centre's registry entry (the languages it works in) says
    Russian and English: her mail comes in Russian."""
    from alac_cases.tenancy.models import TenantRecord
    from alac_kernel.db import session_scope

    with build(tmp_path) as world:
        with session_scope(world.runtime.session_factory, all_tenants=True) as session:
            now = utcnow()
            names = {"kk": "ТК", "ru": "ТК", "en": "TK"}
            session.add(
                TenantRecord(
                    id="tk", spec={"id": "tk", "names": names, "languages": ["ru", "en"]},
                    status="active", steps_done=[], admin={}, version=1,
                    created_at=now, updated_at=now,
                )
            )  # fmt: skip
        case = world.open_case(assignee="lena")
        _run_deadlines(world, _deadline(world, case) - timedelta(days=1))
        assert world.send_mail() == 1
        [message] = world.inbox_of("lena")
        assert message["Content-Language"] == "ru"
        assert message["Subject"].startswith("Срок")
