"""The report's dimensions and downloads, fed with contract-valid events: heard-from and the
not-corruption reasons from complaint.received and complaint.updated, service times over live
complaints only, filter values checked, one office's CSV without repeated rows, download names
that say whose report it is, and a network PDF whose figures have bars."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pypdf
import pytest

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
PERIOD = {"from": "2025-01-01", "to": "2025-12-31"}


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def report(analytics, user="kazbek", path="/v1/reports/statistics", **params):
    r = analytics.client.get(path, params={**PERIOD, **params}, headers=analytics.headers(user))
    assert r.status_code == 200, r.text
    return r


def test_heard_from_and_reasons_flow_from_intakes_events(sqlite_analytics):
    a = sqlite_analytics
    for i in range(6):
        a.complaint(
            received_at=T0,
            heard_from="friends_relatives" if i < 4 else "leaflet",
            corruption_related="no" if i < 3 else "yes",
            non_corruption_reason="negligence_by_body" if i < 3 else None,
        )
    later = a.complaint(received_at=T0, corruption_related="yes")
    a.consume()
    # Completed later: intake announces the new codes in complaint.updated.
    a.emit(
        "complaint.updated",
        later,
        {
            "complaint_id": later,
            "office": "almaty",
            "changed": {
                "heard_from": "tv",
                "corruption_related": "no",
                "non_corruption_reason": "lack_of_information",
            },
            "completeness": 0.5,
        },
    )
    a.consume()
    body = report(a).json()
    heard = {v["value"]: v["count"] for v in body["dimensions"]["heard_from"]["values"]}
    assert heard == {"friends_relatives": 4, "leaflet": 2, "tv": 1}
    assert body["dimensions"]["heard_from"]["n"] == 7
    reasons = body["dimensions"]["non_corruption_reason"]
    # Over the complaints found not corruption-related only (4 of 7), with their own n.
    assert reasons["n"] == 4
    assert {v["value"]: (v["count"], v["percent"]) for v in reasons["values"]} == {
        "negligence_by_body": (3, 75.0),
        "lack_of_information": (1, 25.0),
    }
    # Both are dashboard dimensions too, alone and combined with another one.
    r = a.client.get(
        "/v1/dashboard/breakdown",
        params={**PERIOD, "dimension": "non_corruption_reason", "filter": "heard_from:tv"},
        headers=a.headers("kazbek"),
    )
    assert r.status_code == 200, r.text
    assert r.json()["values"] == [{"value": "lack_of_information", "count": 1}]


def test_unknown_filter_values_are_a_422_naming_them(sqlite_analytics):
    a = sqlite_analytics
    a.complaint(received_at=T0, channel="hotline")
    a.consume()

    def get(path, **params):
        return a.client.get(path, params={**PERIOD, **params}, headers=a.headers("kazbek"))

    # The OpenAPI's old example: `phone` is no channel code (hotline is).
    bad = get("/v1/dashboard/timeseries", filter="channel:phone")
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    (error,) = bad.json()["errors"]
    assert error["field"] == "query.filter"
    assert "phone" in error["reason"] and "channel" in error["reason"]
    assert "hotline" in error["reason"]  # says what would do
    legacy = get("/v1/dashboard/timeseries", dimension="channel", value="phone")
    assert legacy.status_code == 422 and legacy.json()["errors"][0]["field"] == "query.value"
    unknown = get("/v1/dashboard/breakdown", dimension="area", filter="colour:red")
    assert unknown.status_code == 422 and "colour" in unknown.json()["errors"][0]["reason"]
    wrong_flag = get("/v1/dashboard/breakdown", dimension="area", filter="anonymous:maybe")
    assert wrong_flag.status_code == 422
    # Codes of the reference lists are fine even with no complaint yet, and so is `unspecified`.
    for ok in ("channel:hotline", "channel:mobile_clinic", "heard_from:unspecified"):
        r = get("/v1/dashboard/timeseries", filter=ok)
        assert r.status_code == 200, (ok, r.text)
    example = a.client.get("/openapi.json").json()
    assert "channel:phone" not in str(example)


def test_service_times_count_live_complaints_only(sqlite_analytics):
    a = sqlite_analytics
    live = a.complaint(received_at=T0)
    typed_in = a.complaint(received_at=T0 - timedelta(days=400), registered_at=T0)
    letter = a.complaint(received_at=T0, registered_at=T0 + timedelta(hours=60))
    for complaint, received in ((live, T0), (typed_in, T0 - timedelta(days=400)), (letter, T0)):
        case = a.open_case(complaint, at=T0 + timedelta(hours=70))
        a.close_case(
            case, complaint, at=T0 + timedelta(hours=80), outcome="resolved",
            triaged_after=timedelta(hours=8),
        )  # fmt: skip
    a.consume()
    body = report(a, **{"from": "2023-01-01"}).json()
    assert body["total"] == 3
    triage = body["time_to_triage_hours"]
    # The typed-in complaint would give 400 days; the letter registered within 72 hours counts.
    assert (triage["n"], triage["median"], triage["p90"]) == (2, 72, 72)
    assert triage["not_live"] == 1
    assert "live" in triage["basis"]
    text = pdf_text(report(a, format="pdf", lang="en", **{"from": "2023-01-01"}).content)
    assert "received live" in text and "(1 in this period)" in text
    assert "9600" not in text  # no figure from the typed-in complaint


def test_one_office_csv_has_no_repeated_rows_and_names_say_whose(sqlite_analytics):
    a = sqlite_analytics
    for office, n in (("almaty", 3), ("astana", 2)):
        for _ in range(n):
            a.complaint(received_at=T0, office=office, channel="walk_in")
    a.consume()
    one = report(a, office="almaty", format="csv", lang="ru")
    assert (
        'filename="alac-statistics-tk-almaty-2025-01-01-2025-12-31-ru.csv"'
        in (one.headers["content-disposition"])
    )
    rows = list(csv.DictReader(io.StringIO(one.text)))
    channel = [r for r in rows if r["section"] == "channel"]
    assert [(r["scope"], r["value"], r["count"], r["label"]) for r in channel] == [
        ("almaty", "walk_in", "3", "Личный приём")
    ]
    assert sum(int(r["count"]) for r in rows if r["section"] == "total") == 3
    both = report(a, format="xlsx", lang="kk", office=["almaty", "astana"])
    assert (
        'filename="alac-statistics-tk-almaty-astana-2025-01-01-2025-12-31-kk.xlsx"'
        in (both.headers["content-disposition"])
    )
    one_pdf = pdf_text(report(a, office="almaty", format="pdf", lang="en").content)
    assert one_pdf.count("How they heard about the centre") == 1  # its figures once, not twice
    assert "Almaty legal advice centre" in one_pdf and "n = 3" in one_pdf
    pdf = report(a, format="pdf", lang="kk")
    a.onboard("tk", {"kk": "Транспаренси Қазақстан", "ru": "Трансперенси Казахстан",
                     "en": "Transparency Kazakhstan"})  # fmt: skip
    assert "Транспаренси Қазақстан" in pdf_text(report(a, format="pdf", lang="kk").content)
    assert (
        'filename="alac-statistics-tk-all-2025-01-01-2025-12-31-kk.pdf"'
        in (pdf.headers["content-disposition"])
    )


def test_the_network_pdf_has_bars_for_its_figures(sqlite_analytics):
    a = sqlite_analytics
    # The centres' names come from the registry's events, in the report's language.
    a.onboard("tk", {"kk": "Транспаренси Қазақстан", "ru": "Трансперенси Казахстан",
                     "en": "Transparency Kazakhstan"})  # fmt: skip
    for tenant, office, n in (("tk", "almaty", 12), ("ndi", "shymkent", 9)):
        for i in range(n):
            a.complaint(
                received_at=T0, tenant=tenant, office=office, area="education",
                heard_from="friends_relatives" if i % 2 else "internet",
            )  # fmt: skip
    a.consume()
    r = report(a, user="nadia", path="/v1/network/statistics", format="pdf", lang="ru")
    assert (
        'filename="alac-network-statistics-all-2025-01-01-2025-12-31-ru.pdf"'
        in (r.headers["content-disposition"])
    )
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Трансперенси Казахстан" in text and "Образование" in text
    assert "Transparency Kazakhstan" not in text
    assert "ndi" in text  # a centre analytics has not heard of prints as its code
    assert "n = 21" in text
    # The bars: filled rectangles drawn on the figure pages (fpdf2 writes `re` + `f`).
    drawn = b"".join(page.get_contents().get_data() for page in reader.pages[1:])
    assert drawn.count(b" re f") >= 4


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_every_label_is_translated(lang):
    from alac_analytics.labels import REFERENCE_LIST, value_label
    from alac_kernel import reference

    for dimension, list_name in REFERENCE_LIST.items():
        codes = reference.codes(list_name)
        assert codes, list_name
        for code in codes:
            label = value_label(dimension, code, lang)
            assert label and label != code, (dimension, code, lang)
    assert value_label("age_band", "age_40_50", lang) == "40–50"
    assert value_label("status", "in_action", lang) != "in_action"
