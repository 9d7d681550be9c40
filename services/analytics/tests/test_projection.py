"""The read model: every dimension of a complaint and its case, applied once and in order by
aggregate version, with daily_counts always equal to a recount of the facts, and a rebuild
from offset zero that gives exactly what the live projection gave."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import delete, select, update

from alac_analytics.models import ComplaintFact, DailyCount, MonthlyCount, PairCount
from alac_analytics.projections.rebuild import (
    monthly_mismatches,
    pair_mismatches,
    rebuild,
    recount,
    stored_counts,
)
from alac_kernel.db import session_scope

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PROFILE = {
    "type": "individual",
    "sex": "female",
    "age_band": "age_40_50",
    "education": "higher",
    "residence": "urban",
    "region": "almaty_city",
}


def facts(analytics) -> dict[str, dict]:
    with session_scope(analytics.runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(select(ComplaintFact.__table__)).mappings()
        return {r["complaint_id"]: dict(r) for r in rows}


def counts(analytics) -> dict[tuple, int]:
    with session_scope(analytics.runtime.session_factory, all_tenants=True) as session:
        stored = stored_counts(session)
        assert stored == recount(session)  # the aggregate never drifts from the facts
        assert monthly_mismatches(session) == []  # nor the monthly roll-up from the days
        assert pair_mismatches(session) == []  # nor the pairs of dimensions from the facts
        return stored


def cell(analytics, dimension: str, value: str, *, tenant="tk", office="almaty") -> int:
    return sum(
        n
        for (t, o, _, d, v), n in counts(analytics).items()
        if (t, o, d, v) == (tenant, office, dimension, value)
    )


def full_history(analytics) -> tuple[str, str]:
    complaint = analytics.complaint(
        received_at=T0,
        channel="hotline",
        profile=PROFILE,
        request_type="case",
        area="education",
        sub_area="school_payments",
        authority_level="local",
        respondent_body_type="school",
        corruption_related="yes",
    )
    case = analytics.open_case(complaint, at=T0 + timedelta(minutes=5))
    analytics.case_event(
        "case.assigned",
        case,
        complaint,
        assignee="lena-id",
        assignee_role="lawyer",
        previous_assignee=None,
        assigned_at=T0 + timedelta(hours=1),
    )
    analytics.close_case(
        case,
        complaint,
        at=T0 + timedelta(hours=50),
        outcome="resolved",
        triaged_after=timedelta(hours=47),
    )
    return complaint, case


def test_a_complaint_and_its_case_fill_every_dimension(analytics):
    complaint, case = full_history(analytics)
    assert analytics.consume() == 5
    fact = facts(analytics)[complaint]
    expected = {
        "tenant_id": "tk",
        "office": "almaty",
        "channel": "hotline",
        "area": "education",
        "sub_area": "school_payments",
        "authority_level": "local",
        "respondent_body_type": "school",
        "corruption_related": "yes",
        "complainant_type": "individual",
        "sex": "female",
        "age_band": "age_40_50",
        "education": "higher",
        "residence": "urban",
        "region": "almaty_city",
        "request_type": "case",
        "anonymous": False,
        "withdrawn": False,
        "status": "closed",
        "outcome": "resolved",
        "case_id": case,
        "assignee": "lena-id",
        "complaint_version": 1,
        "case_version": 4,
    }
    assert {k: fact[k] for k in expected} == expected
    assert fact["received_at"] == T0
    assert fact["triaged_at"] == T0 + timedelta(hours=3)
    assert fact["closed_at"] == T0 + timedelta(hours=50)
    day = date(2025, 3, 3)
    stored = counts(analytics)
    for dimension, value in [
        ("total", "all"),
        ("sex", "female"),
        ("area", "education"),
        ("anonymous", "no"),
        ("outcome", "resolved"),
        ("time_to_triage_hours", "3"),
        ("time_to_close_hours", "50"),
        ("status", "closed"),
        ("region", "almaty_city"),
    ]:
        assert stored[("tk", "almaty", day, dimension, value)] == 1, dimension
    # A reopening takes the case out of the closed counts again.
    analytics.case_event(
        "case.reopened",
        case,
        complaint,
        reason="new documents",
        reopened_at=T0 + timedelta(days=10),
    )
    analytics.consume()
    assert cell(analytics, "outcome", "resolved") == 0
    assert cell(analytics, "status", "closed") == 0
    assert cell(analytics, "status", "reopened") == 1
    assert cell(analytics, "time_to_close_hours", "50") == 0


def test_updates_move_the_counts_and_stale_or_repeated_events_change_nothing(analytics):
    complaint = analytics.complaint(received_at=T0, area="education", profile={"sex": "male"})
    analytics.emit(
        "complaint.updated",
        complaint,
        {
            "complaint_id": complaint,
            "office": "almaty",
            "completeness": 0.8,
            "changed": {
                "area": "property_rights",
                "authority_level": "regional",
                "complainant": {"sex": "female"},
            },
        },
    )
    analytics.consume()
    assert cell(analytics, "area", "property_rights") == 1
    assert cell(analytics, "area", "education") == 0
    assert cell(analytics, "sex", "female") == 1
    assert cell(analytics, "authority_level", "regional") == 1
    before = counts(analytics)

    # An old version arriving late (new event id, so the inbox does not catch it).
    analytics.emit(
        "complaint.updated",
        complaint,
        {
            "complaint_id": complaint,
            "office": "almaty",
            "completeness": 0.5,
            "changed": {"area": "police"},
        },
        version=1,
    )
    analytics.emit(
        "complaint.withdrawn",
        complaint,
        {
            "complaint_id": complaint,
            "office": "almaty",
            "withdrawn_at": T0.isoformat(),
            "withdrawn_by": "complainant",
        },
    )
    analytics.consume()
    after = counts(analytics)
    assert cell(analytics, "area", "police") == 0
    assert cell(analytics, "withdrawn", "yes") == 1
    assert {k: v for k, v in after.items() if k[3] != "withdrawn"} == {
        k: v for k, v in before.items() if k[3] != "withdrawn"
    }


def test_a_case_event_before_its_complaint_is_counted_when_the_complaint_comes(analytics):
    complaint = "5f0e2a4c-1b3d-4e5f-8a9b-0c1d2e3f4a5b"
    case = analytics.open_case(complaint, at=T0, status="quick_answer")
    analytics.consume()
    assert counts(analytics) == {}
    analytics.emit(
        "complaint.received",
        complaint,
        {
            "complaint_id": complaint,
            "office": "almaty",
            "channel": "email",
            "anonymous": True,
            "received_at": (T0 - timedelta(hours=2)).isoformat(),
            "crux": "Вопрос.",
            "complainant": {"pseudonym": "p-1"},
            "request_type": "information_request",
        },
        time=T0 - timedelta(hours=2),  # registered as it came: a live complaint
    )
    analytics.consume()
    assert facts(analytics)[complaint]["case_id"] == case
    assert cell(analytics, "status", "quick_answer") == 1
    assert cell(analytics, "anonymous", "yes") == 1
    assert cell(analytics, "time_to_triage_hours", "2") == 1  # opened as a quick answer


def test_rebuild_from_offset_zero_gives_the_live_result(analytics):
    full_history(analytics)
    for i in range(6):
        c = analytics.complaint(
            received_at=T0 + timedelta(days=i * 17),
            office="astana",
            channel="email" if i % 2 else "hotline",
            area="judicial_system",
            profile={"sex": "male" if i % 3 else "female"},
        )
        case = analytics.open_case(c, at=T0 + timedelta(days=i * 17, hours=1), office="astana")
        if i % 2:
            analytics.close_case(
                case, c, at=T0 + timedelta(days=i * 17 + 5), outcome="rejected", office="astana"
            )
    analytics.complaint(received_at=T0, tenant="ndi", office="shymkent", area="police")
    analytics.consume()
    live_facts, live_counts = facts(analytics), counts(analytics)
    assert len(live_facts) == 8

    # Damage the read model: a lost fact, a wrong count.
    with session_scope(analytics.runtime.session_factory, all_tenants=True) as session:
        session.execute(
            delete(ComplaintFact.__table__).where(ComplaintFact.__table__.c.office == "astana")
        )
        session.execute(update(DailyCount.__table__).values(n=DailyCount.__table__.c.n + 7))
        session.execute(delete(MonthlyCount.__table__))
    assert facts(analytics) != live_facts

    result = rebuild(analytics.runtime, batch_size=7)
    assert result.facts == 8
    assert result.events == 5 + 6 * 2 + 3 + 1  # every record on the complaint/case topics
    assert result.applied == result.events
    assert facts(analytics) == live_facts
    assert counts(analytics) == live_counts

    # The live consumer goes on after the swap without counting anything twice.
    late = analytics.complaint(received_at=T0, office="almaty", area="housing")
    analytics.consume()
    assert cell(analytics, "area", "housing") == 1
    assert facts(analytics)[late]["complaint_version"] == 1
    assert rebuild(analytics.runtime).facts == 9
    assert cell(analytics, "area", "housing") == 1


def test_the_cli_rebuilds(sqlite_analytics, monkeypatch, tmp_path):
    from typer.testing import CliRunner

    from alac_cli.main import app

    analytics = sqlite_analytics
    full_history(analytics)
    analytics.consume()
    live = counts(analytics)
    with session_scope(analytics.runtime.session_factory, all_tenants=True) as session:
        session.execute(delete(DailyCount.__table__))
    monkeypatch.setenv("ALAC_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["analytics", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "rebuilt 1 complaint facts from 5 events" in result.output
    assert counts(analytics) == live


def test_historical_complaint_counts_in_its_period_but_not_in_service_times(analytics):
    """complaint.received `historical: true` (imported, handled before the platform): counted
    in its day like any complaint, never in time to triage or time to close, even if a case
    event about it comes."""
    old = analytics.complaint(received_at=T0, channel="hotline", historical=True)
    live = analytics.complaint(received_at=T0, channel="hotline")
    for complaint in (old, live):
        case = analytics.open_case(complaint, at=T0 + timedelta(minutes=5))
        analytics.close_case(
            case, complaint, at=T0 + timedelta(hours=50), outcome="resolved",
            triaged_after=timedelta(hours=47),
        )  # fmt: skip
    analytics.consume()
    stored = facts(analytics)
    assert stored[old]["historical"] is True and stored[live]["historical"] is False
    assert cell(analytics, "total", "all") == 2
    assert cell(analytics, "channel", "hotline") == 2
    assert cell(analytics, "time_to_triage_hours", "3") == 1  # the live one only
    assert cell(analytics, "time_to_close_hours", "50") == 1
    triage = sum(n for (*_, d, _v), n in counts(analytics).items() if d == "time_to_triage_hours")
    assert triage == 1


def _count_rows(analytics) -> dict[str, list[dict]]:
    with session_scope(analytics.runtime.session_factory, all_tenants=True) as session:
        return {
            table.name: sorted(
                (dict(r) for r in session.execute(select(table)).mappings()), key=str
            )
            for table in (DailyCount.__table__, MonthlyCount.__table__, PairCount.__table__)
        }


def test_a_count_brought_to_zero_leaves_no_row_so_live_and_rebuilt_counts_are_the_same_rows(
    analytics,
):
    """Live, each event moves the status count (received -> triage -> ... -> closed) and a
    count that falls to zero goes; a rebuild applies a batch's net change and never writes
    it. Found by `make verify`'s comparison of the live model with a rebuild."""
    complaint = analytics.complaint(received_at=T0, channel="hotline", area="education")
    analytics.consume()  # event by event, as the live consumer meets them
    case = analytics.open_case(complaint, at=T0 + timedelta(minutes=5))
    analytics.consume()
    analytics.close_case(case, complaint, at=T0 + timedelta(hours=5), outcome="resolved")
    analytics.consume()
    live = _count_rows(analytics)
    assert live["daily_counts"] and live["monthly_counts"] and live["pair_counts"]
    assert [r for rows in live.values() for r in rows if r["n"] == 0] == []
    assert any(r["dimension"] == "status" and r["value"] == "closed" for r in live["daily_counts"])

    rebuild(analytics.runtime, batch_size=1000)
    assert _count_rows(analytics) == live


def test_pair_changes_equal_the_difference_of_the_pairs():
    """The projection's shortcut (only the pairs a changed value is in) gives exactly
    pairs(after) - pairs(before), over random before/after images: one value changed, the
    office or month changed, a fact appearing."""
    import random
    from collections import Counter

    from alac_analytics.projections.dimensions import pair_changes, pairs

    rng = random.Random(3)

    def cells(office: str, day: date) -> Counter:
        image: Counter = Counter({(office, day, "total", "all"): 1})
        for dim in ("area", "channel", "status", "outcome", "sex", "region"):
            if rng.random() < 0.8:
                image[(office, day, dim, rng.choice(["a", "b", "c"]))] += 1
        return image

    for _ in range(2000):
        place = (
            rng.choice(["almaty", "astana"]),
            date(2025, rng.choice([1, 2]), rng.choice([1, 5])),
        )
        before = cells(*place)
        after = Counter(before) if rng.random() < 0.5 else cells(*place)
        if rng.random() < 0.3:
            after = cells(rng.choice(["almaty", "astana"]), date(2025, 3, 1))
        if rng.random() < 0.5:
            office, day, dim, _ = next(k for k in after if k[2] != "total")
            after = Counter({k: n for k, n in after.items() if k[2] != dim})
            after[(office, day, dim, "new")] = 1
        if rng.random() < 0.1:
            before = Counter()
        expected = pairs(after)
        expected.subtract(pairs(before))
        got = pair_changes(before, after)
        assert {k: n for k, n in got.items() if n} == {k: n for k, n in expected.items() if n}


def raw_tables(analytics) -> dict[str, list[tuple]]:
    """Every row of the four read-model tables as the database stores it (datetimes as their
    stored text on SQLite), in primary-key order."""
    tables = (ComplaintFact.__table__, DailyCount.__table__, MonthlyCount.__table__,
              PairCount.__table__)  # fmt: skip
    with analytics.runtime.engine.connect() as conn:
        return {
            t.name: [
                tuple(row)
                for row in conn.exec_driver_sql(
                    f"SELECT {', '.join(c.name for c in t.columns)} FROM {t.name} ORDER BY "
                    + ", ".join(c.name for c in t.primary_key.columns)
                )
            ]
            for t in tables
        }


def test_a_rebuild_writes_the_live_tables_row_for_row(analytics, monkeypatch):
    """Varied histories (case events before their complaint, updates, reopenings, a
    withdrawal, two tenants) through the live consumer, then a rebuild in small batches
    whose in-memory counts are written many times: the same rows in all four tables."""
    from alac_analytics.projections import facts as facts_module
    from alac_analytics.projections import tally

    rng = random.Random(11)
    for i in range(40):
        tenant = "ndi" if i % 7 == 0 else "tk"
        office = rng.choice(["almaty", "astana", "aktau"])
        at = T0 + timedelta(days=rng.randrange(60), minutes=rng.randrange(1440))
        complaint_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
        if i % 5 == 0:  # the case overtakes its complaint
            analytics.emit("case.opened", case_id, {"case_id": case_id, "complaint_id": complaint_id,
                           "office": office, "opened_at": at.isoformat(), "status": "triage",
                           "channel": "email", "anonymous": False}, tenant=tenant)  # fmt: skip
        analytics.emit(
            "complaint.received", complaint_id,
            {"complaint_id": complaint_id, "office": office, "channel": rng.choice(["hotline", "email"]),
             "anonymous": rng.random() < 0.4, "received_at": at.isoformat(), "crux": "Жалоба.",
             "complainant": {"pseudonym": f"p{i}", "sex": rng.choice(["male", "female"])},
             "area": rng.choice(["education", "police", "housing"]),
             "corruption_related": rng.choice(["yes", "no"])},
            tenant=tenant, time=at + timedelta(minutes=rng.choice([1, 60 * 24 * 5])),
        )  # fmt: skip
        if i % 5:
            case_id = analytics.open_case(complaint_id, at=at + timedelta(hours=rng.randrange(1, 30)),
                                          tenant=tenant, office=office)  # fmt: skip
        if i % 3 == 0:
            analytics.emit("complaint.updated", complaint_id,
                           {"complaint_id": complaint_id, "office": office, "completeness": 0.5,
                            "changed": {"area": "banking"}}, tenant=tenant)  # fmt: skip
        if i % 4 == 1:
            analytics.close_case(case_id, complaint_id, at=at + timedelta(hours=rng.randrange(30, 900)),
                                 outcome=rng.choice(["resolved", "rejected"]), tenant=tenant,
                                 office=office, triaged_after=timedelta(hours=2))  # fmt: skip
            if i % 8 == 1:
                analytics.case_event("case.reopened", case_id, complaint_id, tenant=tenant,
                                     office=office, reopened_at=at + timedelta(days=40),
                                     reason="new facts")  # fmt: skip
        if i == 9:
            analytics.emit("complaint.withdrawn", complaint_id,
                           {"complaint_id": complaint_id, "office": office,
                            "withdrawn_at": at.isoformat(), "withdrawn_by": "complainant"},
                           tenant=tenant)  # fmt: skip
    analytics.consume()
    live = raw_tables(analytics)
    assert len(live["complaint_facts"]) == 40 and all(live.values())
    counts(analytics)  # the live counts agree with the facts

    # The tally's counts held and written in small pieces: upserts into cells already written;
    # on PostgreSQL, every batch's facts and the first counts through COPY.
    monkeypatch.setattr(facts_module, "COPY_FROM", 2)
    monkeypatch.setattr(tally, "CHUNK", 7)
    monkeypatch.setattr(tally, "FLUSH_CELLS", 50)
    result = rebuild(analytics.runtime, batch_size=11)
    assert result.facts == 40 and result.applied == result.events
    rebuilt = raw_tables(analytics)
    for name, rows in live.items():
        assert rebuilt[name] == rows, name
