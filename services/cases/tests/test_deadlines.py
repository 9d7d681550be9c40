"""Deadlines: the holiday calendar seed, working-day arithmetic, setting deadlines (bad input
answers 422 naming the field and writes nothing), overdue lists per office and lawyer, and the
scheduler's approaching/missed events (once each, idempotent, stopped by meeting the deadline).
Time is controlled by passing `now` to the scheduler; nothing sleeps or reads the wall clock
in an assertion."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from cases_test_helpers import add_staff, case_events, open_case, post, problem
from sqlalchemy import select, update

from alac_cases.deadlines import calendar, scheduler
from alac_cases.deadlines.models import Deadline, Holiday
from alac_kernel.db import session_scope


def seeded_holidays(platform) -> dict[date, str]:
    runtime = platform.runtime("cases")
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        return {h.day: h.name for h in session.execute(select(Holiday)).scalars()}


def test_the_seed_has_kazakhstans_public_holidays_and_carried_over_days(sqlite_platform):
    days = seeded_holidays(sqlite_platform)
    for year in (2025, 2026, 2027):
        for month, day in [
            (1, 1), (1, 2), (1, 7), (3, 8), (3, 21), (3, 22), (3, 23),
            (5, 1), (5, 7), (5, 9), (7, 6), (8, 30), (10, 25), (12, 16),
        ]:  # fmt: skip
            assert date(year, month, day) in days, (year, month, day)
    assert days[date(2026, 1, 7)] == "Orthodox Christmas"
    assert {date(2025, 6, 6), date(2026, 5, 27), date(2027, 5, 16)} <= set(days)  # Kurban Ait
    # Carried over: 8 March 2025 was a Saturday; Nauryz 21-22 March 2026 a weekend.
    assert days[date(2025, 3, 10)].endswith("(carried over)")
    assert days[date(2026, 3, 24)].endswith("(carried over)")
    assert days[date(2026, 3, 25)].endswith("(carried over)")
    # 25 December is not a public holiday in Kazakhstan (Labour Code art. 84 list).
    assert date(2025, 12, 25) not in days


def test_working_days_skip_weekends_holidays_and_carried_over_days(sqlite_platform):
    days = set(seeded_holidays(sqlite_platform))
    # Fri 20 Mar 2026: Sat, Sun, Nauryz (23), two carried-over days (24, 25), then 26, 27, 30.
    assert calendar.add_days(date(2026, 3, 20), 3, kind="working", holidays=days) == date(
        2026, 3, 30
    )
    # New Year (1-2 Jan), the weekend, Christmas (7 Jan): 5, 6, 8 January.
    assert calendar.add_days(date(2025, 12, 31), 3, kind="working", holidays=days) == date(
        2026, 1, 8
    )
    # Calendar days count every day, but a term ending on a day off ends on the next working day.
    assert calendar.add_days(date(2026, 3, 6), 15, kind="calendar", holidays=days) == date(
        2026, 3, 26
    )
    assert calendar.add_days(date(2026, 4, 1), 15, kind="calendar", holidays=days) == date(
        2026, 4, 16
    )
    # Without holidays the same working-day term would end a week earlier.
    assert calendar.add_days(date(2026, 3, 20), 3, kind="working", holidays=set()) == date(
        2026, 3, 25
    )


def deadlines_url(case: dict) -> str:
    return f"/v1/cases/{case['id']}/deadlines"


def test_setting_deadlines_from_a_rule_or_a_due_date_and_bad_input(platform):
    case = open_case(platform, request_type="case")
    today = datetime.now(calendar.KZ).date()
    made = post(
        platform, deadlines_url(case), "lena", {"rule": "detention_appeal", "starts_on": str(today)}
    )
    assert made.status_code == 201, made.text
    body = made.json()
    rules = platform.cases.get("/v1/deadline-rules", headers=platform.headers("lena")).json()
    assert {r["code"]: (r["days"], r["day_kind"]) for r in rules}["detention_appeal"] == (
        15,
        "calendar",
    )
    holidays = set(seeded_holidays(platform))
    expected = calendar.end_of_day(calendar.add_days(today, 15, kind="calendar", holidays=holidays))
    assert datetime.fromisoformat(body["due_at"]) == expected
    assert body["rule"] == "detention_appeal" and body["met_at"] is None

    # Bad input: each a 422 naming the field, nothing written.
    bad = [
        ({"rule": "detention_appeal", "starts_on": str(today - timedelta(days=40))}, "starts_on"),
        ({"due_on": str(today - timedelta(days=1))}, "due_on"),
        ({"due_on": "2026-13-01"}, "due_on"),
        ({"rule": "detention_appeal", "starts_on": "yesterday"}, "starts_on"),
        ({"rule": "no_such_rule", "starts_on": str(today)}, "rule"),
        ({"rule": "detention_appeal"}, "starts_on"),
    ]
    for payload, field in bad:
        answer = problem(post(platform, deadlines_url(case), "lena", payload), 422)
        assert any(field in e["field"] for e in answer["errors"]), (payload, answer)
    listed = platform.cases.get(deadlines_url(case), headers=platform.headers("lena")).json()
    assert [d["id"] for d in listed] == [body["id"]]
    # Another tenant's lawyer: like a missing case.
    problem(platform.cases.get(deadlines_url(case), headers=platform.headers("dana")), 404)
    problem(post(platform, deadlines_url(case), "dana", {"due_on": str(today)}), 404)


def run(platform, now: datetime) -> scheduler.PassResult:
    runtime = platform.runtime("cases")
    return scheduler.run_pass(
        session_factory=runtime.session_factory, outbox=runtime.outbox, now=now
    )


def test_scheduler_warns_once_then_reports_missed_once_and_meeting_stops_it(platform):
    case = open_case(platform, request_type="case")
    today = datetime.now(calendar.KZ).date()
    due_on = today + timedelta(days=10)
    first = post(platform, deadlines_url(case), "lena", {"due_on": str(due_on)}).json()
    second = post(
        platform, deadlines_url(case), "lena", {"rule": "court_filing", "due_on": str(due_on)}
    )
    assert problem(second, 422)["errors"][0]["field"] == "body.rule"  # not a rule of the table
    met = post(platform, deadlines_url(case), "lena", {"due_on": str(due_on)}).json()
    due_at = datetime.fromisoformat(first["due_at"])

    assert run(platform, due_at - timedelta(days=5)) == scheduler.PassResult(0, 0)
    assert run(platform, due_at - timedelta(days=1)) == scheduler.PassResult(2, 0)
    assert run(platform, due_at - timedelta(days=1)) == scheduler.PassResult(0, 0)  # idempotent

    done = post(platform, f"{deadlines_url(case)}/{met['id']}/met", "lena", {})
    assert done.status_code == 200 and done.json()["met_at"], done.text
    assert run(platform, due_at + timedelta(hours=1)) == scheduler.PassResult(0, 1)
    assert run(platform, due_at + timedelta(days=3)) == scheduler.PassResult(0, 0)

    events = [e for e in case_events(platform, case["id"]) if e.type.startswith("case.deadline")]
    pairs = [(e.type, e.data["deadline_id"]) for e in events]
    assert sorted(pairs[:2]) == sorted(
        [("case.deadline_approaching", first["id"]), ("case.deadline_approaching", met["id"])]
    )
    assert pairs[2:] == [("case.deadline_missed", first["id"])]
    assert events[-1].data["rule"] == "custom"
    listed = platform.cases.get(deadlines_url(case), headers=platform.headers("lena")).json()
    assert {d["id"]: d["missed"] for d in listed} == {first["id"]: True, met["id"]: False}


def test_overdue_work_per_office_and_per_lawyer(platform):
    add_staff(platform, "lena", "almaty")
    case = open_case(platform, request_type="case")
    other = open_case(platform, request_type="case")
    today = datetime.now(calendar.KZ).date()
    assigned = post(
        platform,
        f"/v1/cases/{case['id']}/assignment",
        "kazbek",
        {"assignee": "lena", "version": case["version"]},
    )
    assert assigned.status_code == 200, assigned.text
    ids = []
    for c in (case, other):
        made = post(platform, deadlines_url(c), "lena", {"due_on": str(today + timedelta(days=2))})
        ids.append(made.json()["id"])
    # Time passes: both deadlines fall due (moved into the past in the database).
    runtime = platform.runtime("cases")
    with session_scope(runtime.session_factory, all_tenants=True) as session:
        session.execute(
            update(Deadline)
            .where(Deadline.id.in_(ids))
            .values(due_at=datetime.now(calendar.KZ) - timedelta(days=1))
        )

    def overdue(user: str, **params) -> list[str]:
        response = platform.cases.get("/v1/overdue", params=params, headers=platform.headers(user))
        assert response.status_code == 200, response.text
        return [d["id"] for d in response.json()]

    assert set(ids) <= set(overdue("kazbek", office="almaty"))
    lenas = overdue("kazbek", assignee="lena")
    assert ids[0] in lenas and ids[1] not in lenas
    assert overdue("kazbek", office="astana") == []
    assert not set(ids) & set(overdue("dana"))  # another tenant sees none of them
    met = post(platform, f"{deadlines_url(case)}/{ids[0]}/met", "lena", {})
    assert met.status_code == 200
    assert ids[0] not in overdue("kazbek", office="almaty")
    problem(post(platform, f"{deadlines_url(case)}/{ids[1]}/met", "lena", {}), 404)  # other case
    problem(platform.cases.get("/v1/overdue", headers=platform.headers("vera")), 403)
