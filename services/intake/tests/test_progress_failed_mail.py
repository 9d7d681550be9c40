"""The tenant admin's list of progress e-mails to complainants that could not be delivered,
and "retry now" (`/v1/complainant-mail`), against a real SMTP server on loopback (aiosmtpd,
the kernel's mail catcher) that refuses them with 5xx answers, on SQLite and PostgreSQL.

Tenant admins only; another tenant's e-mails are neither listed nor retried (404); the
complainant's address never appears in an answer, even where the mail server quoted it."""

from __future__ import annotations

import uuid

import progress_world
import pytest
from progress_world import Mailing
from sqlalchemy import update

from alac_intake.progress.models import complainant_mail
from alac_kernel.auth import roles
from alac_kernel.auth.dev_issuer import DemoUser
from alac_kernel.db import session_scope, utcnow
from alac_kernel.delivery import FAILED, PENDING, SENT
from alac_kernel.testing.openapi_fuzz import fuzz_openapi

FAILED_URL = "/v1/complainant-mail/failed"
ADDRESS = "aigerim@example.kz"
REFUSED = f"550 5.7.1 <{ADDRESS}>: message refused by policy"


intake = progress_world.intake  # the fixture: intake alone with its own mail server


def admin(intake: Mailing, lang: str = "en") -> dict[str, str]:
    return intake.issuer.headers("tamara", **{"Accept-Language": lang})


def other_tenants_admin(intake: Mailing) -> dict[str, str]:
    """A tenant admin of the regional NGO (ndi), as its identity provider would sign one."""
    dev = intake.issuer.dev
    user = DemoUser("ndi-admin", "-", "ndi", "shymkent", (roles.TENANT_ADMIN,))
    return {"Authorization": f"Bearer {dev.sign(dev.user_claims(user))}"}


def refused_progress(intake: Mailing, email: str = ADDRESS, **filed: object) -> tuple[str, str]:
    """(complaint id, case id): a complainant who asked for progress e-mails, whose case
    opened, and whose e-mail the mail server refused for good."""
    complaint_id, _ = intake.file(
        "Судья требует деньги за ускорение дела.", preferred_language="ru",
        safe_to_contact=True, contact={"name": "Айгерим", "email": email}, **filed,
    )  # fmt: skip
    case_id = str(uuid.uuid4())
    tenant = "ndi" if filed.get("by") == "nurlan" else "tk"
    office = "shymkent" if tenant == "ndi" else "almaty"
    intake.case_event("case.opened", case_id, complaint_id, tenant=tenant, office=office)
    assert intake.consume() == 1
    intake.catcher.refuse_with = REFUSED
    try:
        assert intake.send() == 0
    finally:
        intake.catcher.refuse_with = None
    return complaint_id, case_id


def test_a_refused_complainant_e_mail_is_listed_without_the_address_and_sent_on_retry(
    intake: Mailing,
) -> None:
    complaint_id, _ = refused_progress(intake)
    assert intake.catcher.messages() == []
    listed = intake.client.get(FAILED_URL, headers=admin(intake))
    assert listed.status_code == 200, listed.text
    assert listed.json()["next"] is None
    (item,) = listed.json()["items"]
    (row,) = intake.deliveries()
    assert item["id"] == row["id"] and item["complaint_id"] == complaint_id
    assert item["complaint_reference"] == complaint_id[:8]
    assert (item["event_type"], item["state"], item["attempts"]) == ("case.opened", FAILED, 1)
    assert item["next_attempt_at"] is None and item["created_at"]
    assert item["retryable"] is True
    # The server's answer, with the address it quoted masked: the tenant admin does not read
    # contact details. The row itself keeps what the server said.
    assert item["last_error"].endswith("550 5.7.1 <[address]>: message refused by policy")
    assert ADDRESS in row["last_error"]
    assert "@example.kz" not in listed.text and "Айгерим" not in listed.text

    retried = intake.client.post(f"/v1/complainant-mail/{item['id']}/retry", headers=admin(intake))
    assert retried.status_code == 200, retried.text
    assert retried.json()["state"] == PENDING and retried.json()["attempts"] == 1
    assert intake.send() == 1
    (message,) = intake.catcher.messages()
    assert message["X-Catcher-To"] == ADDRESS
    assert message["Message-ID"] == f"<{item['id']}@alac.example.org>"  # the same delivery
    (row,) = intake.deliveries()
    assert (row["state"], row["attempts"]) == (SENT, 2)
    assert intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"] == []
    # Sent: not again.
    again = intake.client.post(f"/v1/complainant-mail/{item['id']}/retry", headers=admin(intake))
    assert again.status_code == 409, again.text
    assert again.headers["content-type"].startswith("application/problem+json")
    assert intake.send() == 0 and len(intake.catcher.messages()) == 1


def test_a_failed_retry_is_failed_again_and_a_waiting_one_is_brought_forward(
    intake: Mailing,
) -> None:
    refused_progress(intake)
    (item,) = intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"]
    intake.catcher.refuse_with = REFUSED  # still refusing: one more attempt, failed again
    retried = intake.client.post(f"/v1/complainant-mail/{item['id']}/retry", headers=admin(intake))
    assert retried.status_code == 200, retried.text
    assert intake.send() == 0
    (item,) = intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"]
    assert (item["state"], item["attempts"], item["retryable"]) == (FAILED, 2, True)

    # A temporary refusal (451): waiting for its next try, listed as such.
    other, _ = intake.file("Акимат требует плату.", safe_to_contact=True,
                           contact={"email": "other@example.kz"})  # fmt: skip
    intake.case_event("case.opened", str(uuid.uuid4()), other)
    intake.consume()
    intake.catcher.refuse_with = "451 4.3.0 Try again later"
    assert intake.send() == 0
    waiting = intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"][0]
    assert waiting["complaint_id"] == other and waiting["state"] == PENDING
    assert waiting["next_attempt_at"] is not None and "451" in waiting["last_error"]
    intake.catcher.refuse_with = None
    with session_scope(intake.runtime.session_factory, all_tenants=True) as session:
        # Its next try far ahead, as after many failures: "retry now" brings it forward.
        session.execute(update(complainant_mail).where(complainant_mail.c.recipient == other)
                        .values(next_attempt_at=utcnow().replace(year=2099)))  # fmt: skip
    assert intake.send() == 0
    now = intake.client.post(f"/v1/complainant-mail/{waiting['id']}/retry", headers=admin(intake))
    assert now.status_code == 200 and now.json()["next_attempt_at"] is None
    assert intake.send() == 1
    assert [m["X-Catcher-To"] for m in intake.catcher.messages()] == ["other@example.kz"]


def test_only_the_tenant_admin_of_the_same_tenant_sees_or_retries(intake: Mailing) -> None:
    refused_progress(intake)
    theirs, _ = refused_progress(intake, "dana.client@example.kz", by="nurlan")
    for user in ("vera", "lena", "kazbek", "anuar"):
        answer = intake.client.get(FAILED_URL, headers=intake.issuer.headers(user))
        assert answer.status_code == 403, (user, answer.text)
        assert answer.headers["content-type"].startswith("application/problem+json")
    ours = intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"]
    other = intake.client.get(FAILED_URL, headers=other_tenants_admin(intake)).json()["items"]
    assert len(ours) == 1 and len(other) == 1
    assert other[0]["complaint_id"] == theirs and ours[0]["complaint_id"] != theirs
    for user in ("vera", "lena", "kazbek"):
        answer = intake.client.post(f"/v1/complainant-mail/{ours[0]['id']}/retry",
                                    headers=intake.issuer.headers(user))  # fmt: skip
        assert answer.status_code == 403, (user, answer.text)
    # Another tenant's e-mail is not found, like a missing one, and stays as it was.
    for delivery, headers in ((other[0]["id"], admin(intake)),
                              (ours[0]["id"], other_tenants_admin(intake)),
                              (str(uuid.uuid4()), admin(intake))):  # fmt: skip
        answer = intake.client.post(f"/v1/complainant-mail/{delivery}/retry", headers=headers)
        assert answer.status_code == 404, answer.text
    assert {r["state"] for r in intake.deliveries()} == {FAILED}
    assert intake.send() == 0 and intake.catcher.messages() == []


def test_not_retried_when_it_may_have_arrived_or_a_later_one_says_it(intake: Mailing) -> None:
    first, case_id = refused_progress(intake)
    # The next step the follow-up page shows: a second e-mail, which the server takes.
    intake.case_event("case.status_changed", case_id, first, from_status="triage",
                      to_status="in_action")  # fmt: skip
    intake.consume()
    assert intake.send() == 1
    (item,) = intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"]
    assert item["retryable"] is False
    later = intake.client.post(f"/v1/complainant-mail/{item['id']}/retry",
                               headers=admin(intake, "kk"))  # fmt: skip
    assert later.status_code == 409 and "кейінгі хат" in later.json()["detail"]

    # Interrupted while sending (the process died after the server was called): it may have
    # arrived, so it is never sent again.
    second, _ = intake.file("Полиция не принимает заявление.", safe_to_contact=True,
                            contact={"email": "second@example.kz"})  # fmt: skip
    intake.case_event("case.opened", str(uuid.uuid4()), second)
    intake.consume()
    long_ago = utcnow().replace(year=2000)
    with session_scope(intake.runtime.session_factory, all_tenants=True) as session:
        session.execute(update(complainant_mail).where(complainant_mail.c.recipient == second)
                        .values(state="sending", claimed_at=long_ago))  # fmt: skip
    assert intake.send() == 0
    interrupted = next(i for i in intake.client.get(FAILED_URL, headers=admin(intake)).json()[
        "items"] if i["complaint_id"] == second)  # fmt: skip
    assert interrupted["state"] == FAILED and interrupted["retryable"] is False
    refused = intake.client.post(f"/v1/complainant-mail/{interrupted['id']}/retry",
                                 headers=admin(intake, "ru"))  # fmt: skip
    assert refused.status_code == 409 and "могло дойти" in refused.json()["detail"]

    # A complainant who said "do not contact me" after the failure: not retried either.
    third, _ = refused_progress(intake, "third@example.kz")
    path = f"/v1/complaints/{third}"
    etag = intake.client.get(path, headers=intake.issuer.headers("vera")).headers["ETag"]
    assert intake.client.patch(path, json={"safe_to_contact": False}, headers={
        **intake.issuer.headers("vera"), "If-Match": etag}).status_code == 200  # fmt: skip
    (mine,) = [i for i in intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"]
               if i["complaint_id"] == third]  # fmt: skip
    assert mine["retryable"] is False
    no = intake.client.post(f"/v1/complainant-mail/{mine['id']}/retry", headers=admin(intake))
    assert no.status_code == 409 and "no longer be written to" in no.json()["detail"]
    assert intake.send() == 0
    assert [m["X-Catcher-To"] for m in intake.catcher.messages()] == [ADDRESS]


def test_pages_and_a_bad_cursor(intake: Mailing) -> None:
    for n in range(3):
        refused_progress(intake, f"page{n}@example.kz")
    first = intake.client.get(FAILED_URL, params={"limit": 2}, headers=admin(intake)).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = intake.client.get(FAILED_URL, params={"limit": 2, "cursor": first["next"]},
                             headers=admin(intake)).json()  # fmt: skip
    assert len(rest["items"]) == 1 and rest["next"] is None
    seen = [i["id"] for i in first["items"] + rest["items"]]
    assert sorted(seen) == sorted(r["id"] for r in intake.deliveries()) and len(set(seen)) == 3
    for bad, field in (({"cursor": "not-a-cursor"}, "query.cursor"), ({"limit": 0}, "query.limit")):
        answer = intake.client.get(FAILED_URL, params=bad, headers=admin(intake))
        assert answer.status_code == 422
        assert [e["field"] for e in answer.json()["errors"]] == [field]


def test_the_openapi_document_has_the_routes_with_their_problems(intake: Mailing) -> None:
    document = intake.client.get("/openapi.json").json()
    listing = document["paths"][FAILED_URL]["get"]
    retry = document["paths"]["/v1/complainant-mail/{delivery_id}/retry"]["post"]
    for operation, codes in ((listing, {"401", "403", "422"}),
                             (retry, {"401", "403", "404", "409"})):  # fmt: skip
        for code in codes:
            assert "application/problem+json" in operation["responses"][code]["content"], code


@pytest.mark.long
def test_the_routes_answer_within_their_schema_under_fuzzing(intake: Mailing) -> None:
    """Schemathesis over these two operations (the kernel's `fuzz_openapi`), as the tenant
    admin, another tenant's admin, a volunteer and nobody, with a real failed e-mail's id."""
    refused_progress(intake)
    (item,) = intake.client.get(FAILED_URL, headers=admin(intake)).json()["items"]
    openapi = intake.client.get("/openapi.json").json()
    report = fuzz_openapi(
        openapi,
        send=lambda **kw: intake.client.request(**kw),
        headers=[admin(intake), other_tenants_admin(intake), intake.issuer.headers("vera"), {}],
        path_values={"delivery_id": [item["id"]]},
        max_examples=8,
        skip=lambda method, path: not path.startswith("/v1/complainant-mail"),
    )
    assert report.failures == [], "\n\n".join(report.failures)
    assert report.calls > 20 and report.statuses.get(200, 0) > 0
