"""Small-cell suppression: hidden below the threshold for roles under coordinator and in the
network view, complementary cells so that totals and differences cannot give one back, the
per-tenant threshold, and the network analyst who sees aggregates across tenants, never a row."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from alac_kernel.small_cells import MERGED, TOTAL, suppress

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


def table_with_merged(rows: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    merged: dict[str, int] = {}
    for cells in rows.values():
        for v, n in cells.items():
            merged[v] = merged.get(v, 0) + n
    out = {r: {**c, TOTAL: sum(c.values())} for r, c in rows.items()}
    out[MERGED] = {**merged, TOTAL: sum(merged.values())}
    return out


def recoverable(table, hidden) -> list[tuple[str, str]]:
    """Hidden cells an attacker gets back by one subtraction: a row total (or the merged
    row) minus the visible cells, or the merged column minus the visible offices."""
    found = []
    offices = [r for r in table if r != MERGED]
    for row, cells in table.items():
        unknown = [v for v in cells if (row, v) in hidden]
        if len(unknown) == 1:
            found.append((row, unknown[0]))
    values = {v for cells in table.values() for v in cells}
    for v in values if MERGED in table else ():
        column = [(r, v) for r in [*offices, MERGED] if table[r].get(v, 0) > 0]
        unknown = [c for c in column if c in hidden]
        if len(unknown) == 1 and len(offices) > 1:
            found.append(unknown[0])
    return found


def test_one_small_cell_gets_a_complement_in_its_row_and_column():
    table = table_with_merged(
        {
            "almaty": {"education": 40, "police": 3, "housing": 12},
            "astana": {"education": 20, "police": 9, "housing": 30},
        }
    )
    hidden = suppress(table, 5)
    assert ("almaty", "police") in hidden
    # Without a complement, 55 - 40 - 12 = 3 and 12 (merged) - 9 = 3.
    assert ("almaty", "housing") in hidden
    assert (MERGED, "police") in hidden
    assert recoverable(table, hidden) == []
    assert suppress(table, 3) == set()  # nothing below 3


def test_a_small_total_hides_its_whole_row():
    table = table_with_merged(
        {"almaty": {"education": 40, "police": 30}, "astana": {"education": 2, "police": 1}}
    )
    hidden = suppress(table, 5)
    assert {("astana", TOTAL), ("astana", "education"), ("astana", "police")} <= hidden
    assert recoverable(table, hidden) == []


@pytest.mark.parametrize("seed", range(300))
def test_random_tables_never_give_a_hidden_cell_back(seed):
    rng = random.Random(seed)
    offices = [f"o{i}" for i in range(rng.randint(1, 4))]
    values = [f"v{i}" for i in range(rng.randint(1, 6))]
    rows = {o: {v: rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 15, 40]) for v in values} for o in offices}
    table = table_with_merged({o: {v: n for v, n in c.items() if n} for o, c in rows.items()})
    if len(offices) == 1:
        del table[MERGED]
    threshold = rng.choice([3, 5, 10])
    hidden = suppress(table, threshold)
    small = {(r, v) for r, c in table.items() for v, n in c.items() if 0 < n < threshold}
    assert small <= hidden
    assert recoverable(table, hidden) == []


# ------------------------------------------------------------------ through the API


@pytest.fixture
def two_offices(analytics):
    areas = {
        "almaty": {"education": 20, "police": 2, "housing": 7},
        "astana": {"education": 9, "police": 8, "housing": 6},
    }
    for office, counts in areas.items():
        for area, n in counts.items():
            for i in range(n):
                analytics.complaint(received_at=T0 + timedelta(days=i), office=office, area=area)
    analytics.consume()
    return analytics


def report(analytics, user, path="/v1/reports/statistics", **params):
    r = analytics.client.get(path, params={**PERIOD, **params}, headers=analytics.headers(user))
    assert r.status_code == 200, r.text
    return r.json()


def counts(block):
    return {v["value"]: v["count"] for v in block["values"]}


def test_a_lawyer_cannot_recover_a_hidden_cell_from_the_totals(two_offices):
    exact = report(two_offices, "kazbek")  # coordinator: exact counts
    assert counts(exact["offices"]["almaty"]["dimensions"]["area"])["police"] == 2
    assert "suppression" not in exact["scope"]

    seen = report(two_offices, "lena")  # lawyer
    almaty = seen["offices"]["almaty"]
    area = counts(almaty["dimensions"]["area"])
    assert area["police"] is None
    assert almaty["total"] == 29  # the total stays...
    # ...so one more Almaty cell is hidden: 29 - 20 would otherwise be 9 = police + housing.
    visible = sum(n for n in area.values() if n is not None)
    assert [v for v, n in area.items() if n is None] == ["housing", "police"]
    assert almaty["total"] - visible == 9  # police + housing together, not police alone
    # The merged figure minus Astana would give Almaty's police back: it is hidden too.
    merged = counts(seen["dimensions"]["area"])
    assert merged["police"] is None and merged["housing"] is None
    assert counts(seen["offices"]["astana"]["dimensions"]["area"])["education"] == 9
    # Percentages cannot give it back either.
    (police,) = [v for v in almaty["dimensions"]["area"]["values"] if v["value"] == "police"]
    assert police == {"value": "police", "count": None, "percent": None, "suppressed": True}
    # CSV carries the same holes.
    text = two_offices.client.get(
        "/v1/reports/statistics",
        params={**PERIOD, "format": "csv"},
        headers=two_offices.headers("lena"),
    ).text
    assert "almaty,2025-01-01,2025-12-31,area,police,,,29" in text


def test_the_threshold_is_a_tenant_setting(two_offices):
    a = two_offices
    url = "/v1/privacy/settings"
    assert a.client.get(url, headers=a.headers("tamara")).json() == {"small_cell_threshold": 5}
    r = a.client.put(url, json={"small_cell_threshold": 10}, headers=a.headers("tamara"))
    assert r.status_code == 200, r.text
    area = counts(report(a, "lena")["offices"]["almaty"]["dimensions"]["area"])
    # 7 housing is now small too; together with police they make 9, still under 10, so
    # education is hidden as well (else 29 - 20 would show a group of 9).
    assert area == {"education": None, "housing": None, "police": None}
    # Another tenant keeps the default.
    assert report(a, "dana")["scope"]["suppression"]["threshold"] == 5
    for body, reason in (
        ({"small_cell_threshold": 4}, "below the platform minimum"),
        ({"small_cell_threshold": "7"}, "not an integer"),
        ({"small_cell_threshold": 7, "x": 1}, "unknown field"),
        ({}, "missing"),
    ):
        r = a.client.put(url, json=body, headers=a.headers("tamara"))
        assert r.status_code == 422, reason
        assert r.headers["content-type"].startswith("application/problem+json")
    assert a.client.get(url, headers=a.headers("tamara")).json()["small_cell_threshold"] == 10
    assert (
        a.client.put(url, json={"small_cell_threshold": 6}, headers=a.headers("kazbek")).status_code
        == 403
    )


def test_the_network_analyst_sees_tenants_aggregated_and_suppressed(two_offices):
    a = two_offices
    for i in range(3):
        a.complaint(
            received_at=T0 + timedelta(days=i), tenant="ndi", office="shymkent", area="police"
        )
    a.consume()
    net = report(a, "nadia", path="/v1/network/statistics")
    assert net["scope"]["tenants"] == "all"
    assert net["scope"]["suppression"]["threshold"] == 5
    assert set(net["tenants"]) == {"tk", "ndi"}
    assert net["tenants"]["tk"]["total"] == 52
    assert net["tenants"]["ndi"]["total"] is None  # 3 complaints: a small cell
    assert net["total"] is None  # else 55 - 52 gives ndi's 3 back
    assert "offices" not in net and "offices" not in net["tenants"]["tk"]
    assert "complaint_id" not in str(net)
    for user in ("kazbek", "tamara", "anuar", "lena"):
        r = a.client.get("/v1/network/statistics", params=PERIOD, headers=a.headers(user))
        assert r.status_code == 403, user
    # A network analyst reads no tenant report (it holds office detail).
    r = a.client.get("/v1/reports/statistics", params=PERIOD, headers=a.headers("nadia"))
    assert r.status_code == 403


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_network_statistics_download_as_csv_and_xlsx(two_offices, fmt):
    """Issue 11: `?format=csv|xlsx` of the network report answered 500 (KeyError 'offices')."""
    import csv as csv_module
    import io

    from openpyxl import load_workbook

    a = two_offices
    for i in range(3):
        a.complaint(
            received_at=T0 + timedelta(days=i), tenant="ndi", office="shymkent", area="police"
        )
    a.consume()
    r = a.client.get(
        "/v1/network/statistics", params={**PERIOD, "format": fmt}, headers=a.headers("nadia")
    )
    assert r.status_code == 200, r.text
    if fmt == "csv":
        table = list(csv_module.reader(io.StringIO(r.text)))
    else:
        sheet = load_workbook(io.BytesIO(r.content))["statistics"]
        table = [
            [c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)
        ]
    scopes = {row[0] for row in table[1:]}
    assert scopes == {"all tenants", "tk", "ndi"}
    totals = {row[0]: row[5] for row in table[1:] if row[3] == "total"}
    assert str(totals["tk"]) == "52"
    assert totals["ndi"] in ("", None)  # a small cell stays hidden in the download too
