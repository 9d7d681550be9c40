"""Combined dashboard filters (`filter=dimension:value`, repeatable): answered from
complaint_facts when they span two or more dimensions, checked against a direct count of the
facts (each fact's dimensions as the projection defines them), isolated per tenant, with small
cells hidden exactly as for one filter; one dimension still answers from daily_counts."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from alac_analytics.dashboard.service import bucket
from alac_analytics.models import ComplaintFact, DailyCount
from alac_analytics.projections.dimensions import contributions
from alac_kernel.db import session_scope
from alac_kernel.small_cells import TOTAL, suppress

T0 = datetime(2025, 1, 1, 8, 0, tzinfo=UTC)
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def data(analytics):
    rnd = random.Random(5)
    for i in range(70):
        received = T0 + timedelta(days=rnd.randrange(360), hours=rnd.randrange(15))
        region = rnd.choice(["almaty_city", "astana_city", "turkestan", None])
        c = analytics.complaint(
            received_at=received,
            office=rnd.choice(["almaty", "almaty", "astana"]),
            channel=rnd.choice(["phone", "phone", "phone", "email", "website"]),
            anonymous=rnd.random() < 0.4,
            area=rnd.choice(["education", "education", "police", "property"]),
            profile={"region": region} if region else {},
        )
        if i % 3 == 0:
            case = analytics.open_case(c, at=received + timedelta(hours=1))
            analytics.close_case(
                case,
                c,
                at=received + timedelta(days=2),
                outcome=rnd.choice(["resolved", "rejected"]),
            )
    # Another tenant with the very same values: none of it may show in tk's figures.
    for _ in range(7):
        analytics.complaint(
            received_at=T0 + timedelta(days=40),
            tenant="ndi",
            office="shymkent",
            channel="phone",
            anonymous=True,
            area="education",
            profile={"region": "turkestan"},
        )
    analytics.consume()
    return analytics


def get(a, path, user="kazbek", **params):
    return a.client.get(f"/v1/dashboard/{path}", params=params, headers=a.headers(user))


def direct(a, *, tenant="tk", offices=None) -> list[dict[str, str]]:
    """Every counted fact's (dimension -> value), straight from complaint_facts."""
    with session_scope(a.runtime.session_factory, all_tenants=True) as session:
        rows = session.execute(select(ComplaintFact.__table__)).mappings().all()
    out = []
    for row in rows:
        if row["tenant_id"] != tenant:
            continue
        cells = contributions(dict(row))
        if not cells:
            continue
        ((office, day, *_),) = {(o, d) for o, d, _, _ in cells}
        if offices and office not in offices:
            continue
        dims = {dim: value for _, _, dim, value in cells}
        out.append({**dims, "_day": day})
    return out


def matching(facts, filters: dict[str, set[str]]):
    return [f for f in facts if all(f.get(d) in values for d, values in filters.items())]


SERIES = [
    ({"area": {"education"}, "channel": {"phone"}}, {}),
    ({"area": {"education"}, "channel": {"phone"}}, {"office": "astana"}),
    ({"channel": {"phone", "email"}, "anonymous": {"yes"}}, {}),
    ({"outcome": {"resolved"}, "area": {"education", "police"}}, {"office": "almaty"}),
    ({"region": {"unspecified"}, "anonymous": {"no"}}, {}),
]


def test_combined_time_series_equals_a_direct_count(data):
    for filters, extra in SERIES:
        params = {**PERIOD, "interval": "month", **extra}
        params["filter"] = [f"{d}:{v}" for d, vs in filters.items() for v in sorted(vs)]
        r = get(data, "timeseries", **params)
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["scope"]["source"] == "complaint_facts"
        offices = [extra["office"]] if "office" in extra else None
        expected = Counter(
            bucket(f["_day"], "month") for f in matching(direct(data, offices=offices), filters)
        )
        assert expected, filters  # the dataset does contain such complaints
        assert {p["period"]: p["count"] for p in body["points"]} == dict(expected), filters


BREAKDOWNS = [
    ("region", {"anonymous": {"yes"}, "channel": {"phone"}}),
    ("outcome", {"area": {"education"}}),
    ("channel", {"area": {"police", "property"}, "region": {"turkestan"}}),
]


def test_combined_breakdown_equals_a_direct_count(data):
    for dimension, filters in BREAKDOWNS:
        r = get(
            data,
            "breakdown",
            **PERIOD,
            dimension=dimension,
            filter=[f"{d}:{v}" for d, vs in filters.items() for v in sorted(vs)],
        )
        assert r.status_code == 200, r.text
        body = r.json()
        source = "pair_counts" if len(filters) == 1 else "complaint_facts"
        assert body["scope"]["source"] == source
        expected = Counter(f[dimension] for f in matching(direct(data), filters) if dimension in f)
        assert expected, dimension
        assert {v["value"]: v["count"] for v in body["values"]} == dict(expected), dimension
        assert body["suppressed"] == []  # a coordinator sees small cells


PAIRS = [
    ("channel", {"area": {"education"}}, {}),
    ("area", {"channel": {"phone", "email"}}, {"office": "almaty"}),
    ("outcome", {"anonymous": {"yes"}}, {}),
    ("anonymous", {"outcome": {"resolved"}}, {}),
    ("region", {"area": {"police"}}, {"office": "astana"}),
    ("status", {"region": {"unspecified"}}, {}),
]


@pytest.mark.parametrize(
    "period",
    [
        PERIOD,
        # Edge months mostly inside the period: their pair_counts less the other days' facts.
        {"from": "2025-01-14", "to": "2025-10-20"},
        {"from": "2025-03-02", "to": "2025-03-30"},
        # Edge months mostly outside: the facts of the days inside.
        {"from": "2025-01-25", "to": "2025-11-05"},
        # Two partial months and no whole one; one of each kind.
        {"from": "2025-04-20", "to": "2025-05-10"},
        {"from": "2025-06-05", "to": "2025-07-08"},
    ],
)
def test_a_breakdown_under_one_other_dimension_reads_pairs_and_equals_a_direct_count(data, period):
    """A clicked bar: whole months from pair_counts; a partial month from the facts of its
    days in the period, or its pair_counts less the facts of its other days, whichever reads
    fewer days. The answer is a direct count of the facts either way (both dimension orders,
    alternatives, offices, `unspecified`, outcome counted over closed cases only)."""
    start, end = (date.fromisoformat(period[k]) for k in ("from", "to"))
    for dimension, filters, extra in PAIRS:
        r = get(
            data, "breakdown", **period, **extra, dimension=dimension,
            filter=[f"{d}:{v}" for d, vs in filters.items() for v in sorted(vs)],
        )  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json()["scope"]["source"] == "pair_counts"
        offices = [extra["office"]] if extra else None
        facts = [f for f in direct(data, offices=offices) if start <= f["_day"] <= end]
        expected = Counter(f[dimension] for f in matching(facts, filters) if dimension in f)
        assert {v["value"]: v["count"] for v in r.json()["values"]} == dict(expected), dimension


def test_week_and_day_buckets_of_combined_filters(data):
    filters = {"area": {"education"}, "anonymous": {"yes"}}
    facts = matching(direct(data), filters)
    for interval in ("day", "week"):
        body = get(
            data,
            "timeseries",
            **PERIOD,
            interval=interval,
            filter=["area:education", "anonymous:yes"],
        ).json()
        expected = Counter(bucket(f["_day"], interval) for f in facts)
        assert {p["period"]: p["count"] for p in body["points"]} == dict(expected)


def test_legacy_pair_and_filters_combine(data):
    both = get(data, "timeseries", **PERIOD, filter=["area:education", "channel:phone"]).json()
    mixed = get(
        data, "timeseries", **PERIOD, dimension="area", value="education", filter="channel:phone"
    ).json()
    assert mixed["points"] == both["points"]
    assert mixed["scope"]["filter"] == {"area": "education", "channel": "phone"}


def test_tenant_isolation(data):
    # ndi's 7 complaints are anonymous phone education from turkestan; tk has its own.
    params = {**PERIOD, "filter": ["area:education", "anonymous:yes", "channel:phone"]}
    ndi = get(data, "breakdown", "dana", dimension="region", **params).json()
    assert ndi["values"] == [{"value": "turkestan", "count": 7}]
    tk = get(data, "breakdown", dimension="region", **params).json()
    expected = Counter(
        f["region"]
        for f in matching(
            direct(data), {"area": {"education"}, "anonymous": {"yes"}, "channel": {"phone"}}
        )
    )
    assert {v["value"]: v["count"] for v in tk["values"]} == dict(expected)
    # An office of another tenant answers nothing, like an office with no complaints.
    other = get(data, "timeseries", **PERIOD, office="shymkent", filter=params["filter"]).json()
    assert other["points"] == []


def test_small_cells_hidden_as_for_one_filter(data):
    """A lawyer gets exactly the cells privacy.suppression hides for these counts."""
    filters = {"channel": {"phone"}, "anonymous": {"yes"}}
    params = {**PERIOD, "filter": ["channel:phone", "anonymous:yes"]}
    counts = Counter(f["region"] for f in matching(direct(data), filters))
    hidden = suppress({"row": {**counts, TOTAL: sum(counts.values())}}, 5)
    assert hidden  # the dataset has small cells here, or the test proves nothing
    lawyer = get(data, "breakdown", "lena", dimension="region", **params).json()
    assert lawyer["suppressed"] == sorted(v for _, v in hidden)
    for item in lawyer["values"]:
        shown = None if ("row", item["value"]) in hidden else counts[item["value"]]
        assert item["count"] == shown
    series = get(data, "timeseries", "lena", interval="month", **params).json()
    months = Counter(bucket(f["_day"], "month") for f in matching(direct(data), filters))
    hidden = suppress({"row": {**months, TOTAL: sum(months.values())}}, 5)
    assert series["suppressed"] == sorted(v for _, v in hidden)
    assert all(p["count"] is None for p in series["points"] if p["period"] in series["suppressed"])


def test_one_dimension_still_answers_from_daily_counts(data):
    """With the facts gone, a question about one dimension gives the same answer (it reads
    daily_counts) while a combined one finds nothing (it reads the facts)."""
    single = {**PERIOD, "dimension": "channel", "value": "phone"}
    either = {**PERIOD, "filter": ["channel:phone", "channel:email"]}
    by_channel = {**PERIOD, "dimension": "channel", "filter": ["channel:phone", "channel:email"]}
    combined = {**PERIOD, "filter": ["channel:phone", "area:education"]}
    before = [
        get(data, "timeseries", **single).json(),
        get(data, "timeseries", **either).json(),
        get(data, "breakdown", **by_channel).json(),
    ]
    assert get(data, "timeseries", **combined).json()["points"]
    with session_scope(data.runtime.session_factory, all_tenants=True) as session:
        session.execute(delete(ComplaintFact.__table__))
    after = [
        get(data, "timeseries", **single).json(),
        get(data, "timeseries", **either).json(),
        get(data, "breakdown", **by_channel).json(),
    ]
    assert after == before
    assert [b["scope"]["source"] for b in after] == ["daily_counts"] * 3
    phone = sum(p["count"] for p in before[0]["points"])
    assert sum(p["count"] for p in before[1]["points"]) > phone  # OR-ed: phone plus e-mail
    assert {v["value"] for v in before[2]["values"]} == {"phone", "email"}
    assert get(data, "timeseries", **combined).json()["points"] == []


def test_one_dimension_reads_whole_months_from_monthly_counts(data):
    """A period with partial months at both ends: the breakdown and the monthly series equal a
    direct count of the facts, and stay the same once the days of the whole months are gone
    from daily_counts (they come from monthly_counts; only the edge days from the days)."""
    start, end = date(2025, 1, 14), date(2025, 10, 20)
    period = {"from": start.isoformat(), "to": end.isoformat()}
    facts = [f for f in direct(data) if start <= f["_day"] <= end]
    questions = [
        ("breakdown", {**period, "dimension": "channel"}),
        ("breakdown", {**period, "dimension": "region", "office": "almaty"}),
        ("timeseries", {**period, "interval": "month"}),
        ("timeseries", {**period, "interval": "month", "filter": ["channel:phone"]}),
    ]
    answers = [get(data, path, **params).json() for path, params in questions]
    assert {v["value"]: v["count"] for v in answers[0]["values"]} == Counter(
        f["channel"] for f in facts
    )
    almaty = [f for f in direct(data, offices=["almaty"]) if start <= f["_day"] <= end]
    assert {v["value"]: v["count"] for v in answers[1]["values"]} == Counter(
        f["region"] for f in almaty
    )
    assert {p["period"]: p["count"] for p in answers[2]["points"]} == Counter(
        bucket(f["_day"], "month") for f in facts
    )
    assert {p["period"]: p["count"] for p in answers[3]["points"]} == Counter(
        bucket(f["_day"], "month") for f in facts if f["channel"] == "phone"
    )
    days = DailyCount.__table__
    with session_scope(data.runtime.session_factory, all_tenants=True) as session:
        gone = session.execute(
            delete(days).where(days.c.day >= date(2025, 2, 1), days.c.day <= date(2025, 9, 30))
        ).rowcount
    assert gone
    assert [get(data, path, **params).json() for path, params in questions] == answers


@pytest.mark.parametrize(
    ("path", "params", "field", "reason"),
    [
        ("timeseries", {"filter": "channel"}, "query.filter", "dimension:value"),
        ("timeseries", {"filter": "name:vera"}, "query.filter", "unknown dimension `name`"),
        ("timeseries", {"filter": ["area:education", "channel:Phone!"]}, "query.filter", "code"),
        ("breakdown", {"dimension": "area", "filter": ":phone"}, "query.filter", "unknown"),
        (
            "timeseries",
            {"filter": ["time_to_triage_hours:3", "channel:phone"]},
            "query.filter",
            "cannot be combined",
        ),
        (
            "breakdown",
            {"dimension": "time_to_close_hours", "filter": "channel:phone"},
            "query.dimension",
            "cannot be broken down",
        ),
        ("timeseries", {"filter": ["channel:phone"] * 33}, "query.filter", "at most 32"),
    ],
)
def test_bad_filters(sqlite_analytics, path, params, field, reason):
    """Each bad filter gets 422 naming query.filter (or query.dimension) and why."""
    r = get(sqlite_analytics, path, **PERIOD, **params)
    assert r.status_code == 422, r.text
    errors = {e["field"]: e["reason"] for e in r.json()["errors"]}
    assert reason in errors[field]
