"""Intake and analytics show staff by name: each keeps the names cases announces in staff.*
events (its own consumer group and table) and answers them beside the ids. On SQLite and on
PostgreSQL (the root conftest's `platform`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alac_cases.staff.models import StaffMember
from alac_cases.staff.service import record_moved
from alac_kernel.db import session_scope

TODAY = datetime.now(UTC).date()


def test_intake_names_who_recorded_a_complaint_and_who_wrote_to_the_complainant(platform):
    p = platform
    vera = p.name_staff("vera", "Вера Петрова")
    lena = p.name_staff("lena", "Елена Ким", "Юрист")
    filed = p.intake.post(
        "/v1/complaints", json={"channel": "hotline", "crux": "Требуют деньги за справку."},
        headers=p.headers("vera"),
    )  # fmt: skip
    assert filed.status_code == 201, filed.text
    cid, code = filed.json()["id"], filed.json()["receipt_code"]
    read = p.intake.get(f"/v1/complaints/{cid}", headers=p.headers("lena")).json()
    assert (read["registered_by"], read["registered_by_name"], read["registered_by_position"]) == (
        vera, "Вера Петрова", None,
    )  # fmt: skip
    # recorded by someone cases announced no name for: the id, and no name
    public = p.intake.post(
        "/v1/complaints", json={"channel": "hotline", "crux": "Без имени сотрудника."},
        headers=p.headers("askar"),
    )  # fmt: skip
    unnamed = p.intake.get(f"/v1/complaints/{public.json()['id']}", headers=p.headers("kazbek"))
    assert unnamed.json()["registered_by_name"] is None

    wrote = p.intake.post(
        f"/v1/complaints/{cid}/messages", json={"body": "Принесите решение суда."},
        headers=p.headers("lena"),
    )  # fmt: skip
    assert wrote.status_code == 201, wrote.text
    assert (wrote.json()["author"], wrote.json()["author_name"]) == (lena, "Елена Ким")
    p.intake.post(
        "/v1/follow-up/messages", json={"body": "Хорошо."}, headers={"Receipt-Code": code}
    )
    thread = p.intake.get(f"/v1/complaints/{cid}/messages", headers=p.headers("vera")).json()
    assert [(m["author_name"], m["author_position"]) for m in thread] == [
        ("Елена Ким", "Юрист"), (None, None),
    ]  # fmt: skip
    # the complainant reads that the centre wrote, not who of its staff
    theirs = p.intake.get("/v1/follow-up/messages", headers={"Receipt-Code": code}).json()
    assert [set(m) for m in theirs] == [{"id", "direction", "body", "posted_at"}] * 2

    # a move with a new position is shown at once (staff.moved)
    cases = p.runtime("cases")
    with session_scope(cases.session_factory, tenant="tk") as session:
        member = session.query(StaffMember).filter_by(subject=lena).one()
        member.position = "Старший юрист"
        record_moved(
            session=session, outbox=cases.outbox, member=member, office="almaty", role="lawyer"
        )
    p.pump()
    thread = p.intake.get(f"/v1/complaints/{cid}/messages", headers=p.headers("lena")).json()
    assert thread[0]["author_position"] == "Старший юрист"


def test_analytics_names_who_handled_an_alert_and_who_recorded_a_proposal(platform):
    p = platform
    kazbek = p.name_staff("kazbek", "Казбек Омаров", "Координатор")
    received = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    for _ in range(8):
        made = p.intake.post(
            "/v1/complaints",
            json={"channel": "hotline", "crux": "Жалоба.", "area": "education",
                  "received_at": received},
            headers=p.headers("kazbek"),
        )  # fmt: skip
        assert made.status_code == 201, made.text
    p.pump()
    found = p.analytics.post(
        "/v1/alerts/detect",
        json={"window_end": (TODAY + timedelta(days=1)).isoformat(), "min_count": 5},
        headers=p.headers("kazbek"),
    )  # fmt: skip
    assert found.status_code == 200 and found.json(), found.text
    alert = found.json()[0]
    assert alert["handled_by"] is None and alert["handled_by_name"] is None
    handled = p.analytics.post(
        f"/v1/alerts/{alert['id']}/acknowledge", json={"note": "Юристам"},
        headers=p.headers("kazbek"),
    )  # fmt: skip
    assert handled.status_code == 200, handled.text
    assert (handled.json()["handled_by"], handled.json()["handled_by_name"]) == (
        kazbek, "Казбек Омаров",
    )  # fmt: skip
    listed = p.analytics.get("/v1/alerts?status=acknowledged", headers=p.headers("anuar")).json()
    assert [(a["handled_by_name"], a["handled_by_position"]) for a in listed] == [
        ("Казбек Омаров", "Координатор")
    ]

    proposal = p.analytics.post(
        "/v1/proposals",
        json={"section": "legislation", "text": "Сократить сроки", "proposed_on": "2026-03-01"},
        headers=p.headers("kazbek"),
    )  # fmt: skip
    assert proposal.status_code == 201, proposal.text
    assert proposal.json()["created_by_name"] == "Казбек Омаров"
    (read,) = p.analytics.get("/v1/proposals", headers=p.headers("lena")).json()
    assert (read["created_by"], read["created_by_name"]) == (kazbek, "Казбек Омаров")
    # tamara is not in the registry: her proposal shows her id and no name
    other = p.analytics.post(
        "/v1/proposals",
        json={"section": "legislation", "text": "Ещё одно", "proposed_on": "2026-03-02"},
        headers=p.headers("tamara"),
    ).json()  # fmt: skip
    assert other["created_by_name"] is None and other["created_by"]
