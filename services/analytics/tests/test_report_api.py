"""GET /v1/reports/statistics: outcomes and rates, times to triage and close, months, offices,
CSV and XLSX, roles, tenants, and what each bad parameter gets."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from alac_analytics.reports.service import DURATION_BASIS

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


@pytest.fixture
def history(analytics):
    return fill(analytics)


@pytest.fixture
def sqlite_history(sqlite_analytics):
    return fill(sqlite_analytics)


def fill(analytics):
    """Ten Almaty complaints over two months with known outcomes and times, two in Astana,
    one in another tenant."""
    outcomes = ["resolved", "resolved", "advice_given", "rejected", "outside_mandate"]
    for i in range(10):
        received = T0 + timedelta(days=30 * (i % 2))  # January and February
        c = analytics.complaint(
            received_at=received, area="education" if i < 6 else "police", anonymous=i < 4
        )
        case = analytics.open_case(c, at=received + timedelta(minutes=10))
        if i < 5:
            analytics.close_case(
                case,
                c,
                at=received + timedelta(hours=24 * (i + 1)),
                outcome=outcomes[i],
                triaged_after=timedelta(hours=i + 1),
            )
    for _ in range(2):
        analytics.complaint(received_at=T0, office="astana", area="judicial_system")
    analytics.complaint(received_at=T0, tenant="ndi", office="shymkent", area="education")
    analytics.consume()
    return analytics


ARTIFACTS = Path(__file__).parent / "artifacts"


def render_pages(pdf: bytes, name: str) -> list[Path]:
    """Every page as a PNG under tests/artifacts/ (git-ignored) to look at; pdftoppm comes
    from poppler-utils (deploy/engines/ensure-system-packages)."""
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / f"{name}.pdf"
    source.write_bytes(pdf)
    for old in ARTIFACTS.glob(f"{name}-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(source), str(ARTIFACTS / name)], check=True)
    pngs = sorted(ARTIFACTS.glob(f"{name}-*.png"))
    assert pngs and all(p.stat().st_size > 1000 for p in pngs)
    return pngs


def get(analytics, user="kazbek", **params):
    return analytics.client.get(
        "/v1/reports/statistics", params={**PERIOD, **params}, headers=analytics.headers(user)
    )


def test_outcomes_times_months_and_offices(history):
    r = get(history)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["scope"] == {
        "tenant": "tk",
        "offices": "all",
        "from": "2025-01-01",
        "to": "2025-12-31",
        "period_basis": "date received (UTC), both ends inclusive",
        "data": "complaints received in the period, per the analytics read model (daily_counts)",
    }
    assert body["total"] == 12
    assert body["monthly"] == [{"month": "2025-01", "count": 7}, {"month": "2025-02", "count": 5}]
    outcomes = body["outcomes"]
    assert outcomes["n"] == 5
    assert outcomes["resolution_rate"] == 60.0  # resolved 2 + advice given 1 of 5 closed
    assert outcomes["rejection_rate"] == 20.0
    # Triage took 24(i+1) - (i+1) hours: 23, 46, 69, 92, 115; close 24, 48 ... 120.
    live = {"basis": DURATION_BASIS, "not_live": 0}
    assert body["time_to_triage_hours"] == {
        "n": 5, "unit": "hours", "median": 69, "p90": 115, **live
    }  # fmt: skip
    assert body["time_to_close_hours"] == {
        "n": 5,
        "unit": "hours",
        "median": 72,
        "p90": 120,
        **live,
    }
    assert body["anonymous_share"] == {"n": 12, "count": 4, "percent": 33.3}
    assert [a["value"] for a in body["areas_ranked"]] == ["education", "police", "judicial_system"]
    assert body["offices"]["almaty"]["total"] == 10
    assert body["offices"]["astana"]["total"] == 2
    assert body["offices"]["astana"]["outcomes"]["resolution_rate"] is None  # none closed

    jan = get(history, **{"from": "2025-01-01", "to": "2025-01-31"}).json()
    assert jan["total"] == 7
    only = get(history, office="astana").json()
    assert only["total"] == 2 and list(only["offices"]) == ["astana"]
    # Other tenants: the ndi complaint never appears; ndi sees only its own.
    assert get(history, office="shymkent").json()["total"] == 0
    ndi = get(history, user="dana").json()  # a lawyer: below coordinator, small cells hidden
    assert ndi["total"] is None and ndi["scope"]["suppression"]["threshold"] == 5
    assert ndi["dimensions"]["area"]["values"] == [
        {"value": "education", "count": None, "percent": None, "suppressed": True}
    ]


def test_csv_and_xlsx_carry_the_same_figures_with_their_scope(sqlite_history):
    history = sqlite_history
    r = get(history, format="csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    total = [x for x in rows if x["scope"] == "all offices" and x["section"] == "total"]
    assert total == [
        {
            "scope": "all offices",
            "period_from": "2025-01-01",
            "period_to": "2025-12-31",
            "section": "total",
            "value": "all",
            "count": "12",
            "percent": "100.0",
            "n": "12",
            "label": "all",
        }
    ]
    (police,) = [
        x
        for x in rows
        if x["scope"] == "almaty" and x["section"] == "area" and x["value"] == "police"
    ]
    assert (police["count"], police["percent"], police["n"]) == ("4", "40.0", "10")

    by_accept = history.client.get(
        "/v1/reports/statistics",
        params=PERIOD,
        headers=history.headers(
            "kazbek", Accept="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        ),
    )
    assert by_accept.status_code == 200
    book = load_workbook(io.BytesIO(by_accept.content))
    sheet = [list(row) for row in book["statistics"].iter_rows(values_only=True)]
    assert sheet[0] == [
        "scope",
        "period_from",
        "period_to",
        "section",
        "value",
        "count",
        "percent",
        "n",
        "label",
    ]
    assert len(sheet) - 1 == len(rows)
    assert ["almaty", "2025-01-01", "2025-12-31", "area", "police", 4, 40.0, 10, "Police"] in sheet
    scope = {k: v for k, v in book["scope"].iter_rows(values_only=True)}
    assert scope["tenant"] == "tk" and scope["offices"] == "all"


def test_roles(sqlite_analytics):
    for user in ("lena", "kazbek", "tamara", "anuar"):
        assert get(sqlite_analytics, user=user).status_code == 200, user
    for user in ("vera", "askar"):
        r = get(sqlite_analytics, user=user)
        assert r.status_code == 403
        assert r.headers["content-type"].startswith("application/problem+json")
    assert sqlite_analytics.client.get("/v1/reports/statistics", params=PERIOD).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "2025-02-30", "to": "2025-03-01"}, "query.from"),  # no such day
        ({"from": "last week", "to": "2025-03-01"}, "query.from"),
        ({"from": "2025-03-01"}, "query.to"),  # missing
        ({"from": "2025-03-02", "to": "2025-03-01"}, "query.to"),  # before `from`
        ({**PERIOD, "format": "pdfx"}, "query.format"),
        ({**PERIOD, "office": "x" * 65}, "query.office"),
        ({"from": "0001-01-01", "to": "2025-03-01"}, "query.from"),  # before 1900
        ({"from": "2025-03-01", "to": "9999-12-31"}, "query.to"),  # after 2999
    ],
)
def test_bad_parameters_are_a_422_naming_the_field(sqlite_analytics, params, field):
    r = sqlite_analytics.client.get(
        "/v1/reports/statistics", params=params, headers=sqlite_analytics.headers("kazbek")
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    errors = r.json()["errors"]
    assert field in [e["field"] for e in errors] and all(e["reason"] for e in errors)


@pytest.mark.parametrize(
    ("lang", "title", "period", "total", "education", "page"),
    [
        ("en", "Statistical report on complaints", "1 January 2025 – 31 December 2025",
         "Complaints received: 12", "Education", "Page 2 of"),
        ("ru", "Статистический отчёт по обращениям", "1 января 2025 г. – 31 декабря 2025 г.",
         "Поступило обращений: 12", "Образование", "Стр. 2 из"),
        ("kk", "Өтініштер бойынша статистикалық есеп", "2025 ж. 1 қаңтар – 2025 ж. 31 желтоқсан",
         "Түскен өтініштер: 12", "Білім беру", "беттің 2-беті"),
    ],
)  # fmt: skip
def test_the_pdf_report_in_three_languages(
    sqlite_history, lang, title, period, total, education, page
):
    from pypdf import PdfReader

    # The centre's name on the cover: what analytics learnt from the registry's event.
    sqlite_history.onboard("tk", dict.fromkeys(("kk", "ru", "en"), "Transparency Kazakhstan"))
    r = get(sqlite_history, format="pdf", lang=lang)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    render_pages(r.content, f"report-api-{lang}")
    reader = PdfReader(io.BytesIO(r.content))
    # CLDR puts a narrow no-break space before "г." and "ж."
    pages = [p.extract_text().replace("\u202f", " ").replace("\xa0", " ") for p in reader.pages]
    cover = pages[0]
    assert "Transparency Kazakhstan" in cover and title in cover
    assert period in cover and total in cover
    assert page in pages[1]  # numbered pages, the footer stating the period
    assert all(period in p for p in pages[1:])
    text = "\n".join(pages)
    assert education in text and "n = 12" in text and "n = 10" in text  # combined, Almaty
    for code in ("judicial_system", "hotline", "unspecified", "not_recorded"):
        assert code not in text.split(), code  # a label, never the raw code


def test_the_pdf_by_accept_and_a_bad_language(sqlite_analytics):
    a = sqlite_analytics
    r = a.client.get(
        "/v1/reports/statistics",
        params=PERIOD,
        headers=a.headers("kazbek", Accept="application/pdf"),
    )
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    bad = a.client.get(
        "/v1/reports/statistics",
        params={**PERIOD, "format": "pdf", "lang": "de"},
        headers=a.headers("kazbek"),
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.lang"


@pytest.mark.parametrize(
    ("start", "end", "days", "months"),
    [
        ("2025-01-01", "2025-12-31", [], ("2025-01-01", "2025-12-01")),
        (
            "2025-01-15",
            "2025-03-10",
            [("2025-01-15", "2025-01-31"), ("2025-03-01", "2025-03-10")],
            ("2025-02-01", "2025-02-01"),
        ),
        ("2025-01-15", "2025-02-10", [("2025-01-15", "2025-02-10")], None),
        ("2025-02-01", "2025-02-28", [], ("2025-02-01", "2025-02-01")),
        ("2024-02-01", "2024-02-28", [("2024-02-01", "2024-02-28")], None),  # leap year
        ("2025-03-05", "2025-03-05", [("2025-03-05", "2025-03-05")], None),
    ],
)
def test_a_period_is_read_as_whole_months_plus_edge_days(start, end, days, months):
    from datetime import date

    from alac_analytics.counts import split_period

    d = date.fromisoformat
    got_days, got_months = split_period(d(start), d(end))
    assert got_days == [(d(a), d(b)) for a, b in days]
    assert got_months == (tuple(map(d, months)) if months else None)
