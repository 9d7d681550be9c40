"""The dashboard, the network view, the alerts inbox and the advocacy tracker in-process: the
pages over the real intake, cases and analytics apps (the root conftest's `sqlite_platform`),
complaints recorded through intake's API and projected by analytics' real consumer."""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from console_helpers import as_user, make_web
from openpyxl import load_workbook

from alac_web.settings import PACKAGE

TODAY = datetime.now(UTC).date()
# What the seeded complaints are: (area, channel, region, anonymous) and how many of each.
SEED = [
    (("education", "hotline", "almaty_city", False), 14),
    (("education", "email", "almaty_city", True), 4),
    (("property_rights", "hotline", "astana_city", False), 9),
    (("judicial_system", "walk_in", "almaty_city", False), 3),
]


@pytest.fixture
def web(sqlite_platform, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    p = sqlite_platform
    monkeypatch.setattr("alac_intake.receipts._N", 2)  # scrypt's smallest work factor: speed
    with make_web(p, tmp_path) as client:
        client.platform = p  # type: ignore[attr-defined]
        yield client


def seed(p, days_ago: int = 3) -> list[str]:  # type: ignore[no-untyped-def]
    """Record the SEED complaints through intake's API; their ids."""
    ids = []
    received = datetime.now(UTC) - timedelta(days=days_ago)
    for (area, channel, region, anonymous), count in SEED:
        for _ in range(count):
            body = {
                "channel": channel, "crux": "Жалоба для дашборда.", "area": area,
                "anonymous": anonymous, "received_at": received.isoformat(),
                "complainant": {"region": region},
            }  # fmt: skip
            answer = p.intake.post("/v1/complaints", json=body, headers=p.headers("kazbek"))
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
    p.pump()
    return ids


def card(web, name: str, query: str = "", lang: str = "ru") -> str:  # type: ignore[no-untyped-def]
    answer = web.get(
        f"/staff/dashboard/cards/{name}?lang={lang}&{query}", headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200, answer.text
    return answer.text


def chart(html: str) -> dict:
    raw = re.search(r"data-chart='([^']*)'", html).group(1)
    return json.loads(raw.replace("&#34;", '"').replace("&#39;", "'").replace("&amp;", "&"))


def test_the_dashboard_page_has_a_card_per_figure_loading_on_its_own(web) -> None:
    seed(web.platform)
    as_user(web, "kazbek")
    page = web.get("/staff/dashboard?lang=kk")
    assert page.status_code == 200
    cards = re.findall(r'hx-get="/staff/dashboard/cards/([a-z_-]+)\?', page.text)
    assert {"headline", "trend", "offices", "regions", "by-area", "by-channel", "by-sex",
            "by-age_band", "by-education", "by-residence", "by-outcome"} <= set(cards)  # fmt: skip
    assert 'hx-trigger="load"' in page.text and "/vendor/echarts.min.js" in page.text
    # nothing from another host, and ECharts is served by the app itself from npm's copy
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    vendor = web.get("/vendor/echarts.min.js")
    assert vendor.status_code == 200 and b"echarts" in vendor.content[:5000]
    # without JavaScript a card is a page of its own, its table's values the filter links
    alone = web.get("/staff/dashboard/cards/by-area?lang=ru")
    assert alone.status_code == 200 and "<h1>" in alone.text and "</html>" in alone.text
    assert 'href="/staff/dashboard?from=' in alone.text and "filter=area%3Aeducation" in alone.text


def test_a_breakdown_card_states_n_and_period_with_translated_labels(web) -> None:
    seed(web.platform)
    as_user(web, "kazbek")
    html = card(web, "by-area")
    assert "n = 30" in html
    period_start = (TODAY.replace(day=1) - timedelta(days=335)).replace(day=1)
    assert f"{period_start:%d.%m.%Y} – {TODAY:%d.%m.%Y}" in html
    spec = chart(html)
    assert spec["values"] == [18, 9, 3]
    assert "education" not in spec["labels"]  # a label, never the code
    assert spec["labels"][0] == "Образование"
    kk = chart(card(web, "by-area", lang="kk"))
    assert kk["labels"][0] != spec["labels"][0] and kk["labels"][0]
    # every code seeded has a label in every language
    for lang in ("kk", "ru", "en"):
        for name in ("by-channel", "regions", "by-anonymous", "by-status"):
            labels = chart(card(web, name, lang=lang))["labels"]
            assert not any("_" in label for label in labels), (lang, name, labels)


def test_clicking_a_bar_filters_every_other_card(web) -> None:
    seed(web.platform)
    as_user(web, "kazbek")
    spec = chart(card(web, "by-area"))
    education = spec["links"][spec["labels"].index("Образование")]
    assert "filter=area%3Aeducation" in education
    # the channel card under that filter counts only education complaints
    channels = chart(card(web, "by-channel", education))
    assert sorted(channels["values"]) == [4, 14]
    page = web.get(f"/staff/dashboard?lang=ru&{education}")
    assert "Сфера: Образование" in page.text  # the filter chip, translated
    # clicking the same bar again removes the filter
    again = chart(card(web, "by-area", education))
    assert "filter" not in again["links"][again["labels"].index("Образование")]
    # two dimensions combined: the API answers from the facts
    both = chart(card(web, "regions", education + "&filter=channel:email"))
    assert both["values"] == [4]


def test_headline_and_time_series_compare_with_the_previous_period(web) -> None:
    seed(web.platform, days_ago=3)
    seed_before = [(("housing", "hotline", "pavlodar", False), 6)]
    p = web.platform
    for (area, channel, region, anonymous), count in seed_before:
        for _ in range(count):
            p.intake.post(
                "/v1/complaints",
                json={"channel": channel, "crux": "Раньше.", "area": area,
                      "anonymous": anonymous, "complainant": {"region": region},
                      "received_at": (datetime.now(UTC) - timedelta(days=40)).isoformat()},
                headers=p.headers("kazbek"),
            )  # fmt: skip
    p.pump()
    as_user(web, "kazbek")
    query = f"from={TODAY - timedelta(days=29)}&to={TODAY}"
    html = card(web, "headline", query, lang="en")
    assert "Complaints received" in html and ">30<" in html
    assert "previous period: 6 (+400.0 %)" in html
    assert "n = 30" in html and "imported ones excluded" in html
    trend = chart(card(web, "trend", query))
    assert sum(trend["values"]) == 30 and sum(v or 0 for v in trend["previous"]) == 6
    assert trend["kind"] == "line"


def test_each_card_downloads_as_csv_and_xlsx_with_its_scope(web) -> None:
    seed(web.platform)
    as_user(web, "kazbek")
    query = "lang=ru&office=almaty&filter=anonymous:no"
    answer = web.get(f"/staff/dashboard/cards/by-area.csv?{query}")
    assert answer.status_code == 200
    name = re.search(r'filename="([^"]+)"', answer.headers["content-disposition"]).group(1)
    assert name.startswith("alac-by-area-") and name.endswith("-almaty.csv")
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff"))))
    assert ["n", "26"] in rows
    assert ["Образование", "education", "14", "53.8"] in rows
    assert any(r[:1] == ["Фильтры"] and "Анонимность: Нет" in r[1] for r in rows)
    book = load_workbook(
        io.BytesIO(web.get(f"/staff/dashboard/cards/by-area.xlsx?{query}").content)
    )
    cells = [[c.value for c in row] for row in book.active.iter_rows()]
    assert ["Образование", "education", 14, 53.8] in cells


def test_an_analyst_sees_small_cells_as_hidden_not_zero(web) -> None:
    seed(web.platform)
    as_user(web, "anuar")  # analyst: below the office level, small cells are hidden
    html = card(web, "by-area")
    spec = chart(html)
    assert None in spec["values"]  # judicial_system: 3 complaints, below the threshold
    assert "скрыто" in html and ">0<" not in html.split("<tbody>")[1]
    assert "не ноль" in html


def test_the_map_of_regions_draws_every_region_and_hides_small_cells(web) -> None:
    """The regions card is a map: the 16 shapes of the served GeoJSON carry the region codes,
    the regions the shapes predate are points; below the office level a small count is
    None (drawn "hidden"), never 0, while a coordinator sees it exactly."""
    from alac_kernel.reference import REGIONS

    seed(web.platform)
    p = web.platform
    for region, count in (("karaganda", 3), ("abai", 2)):
        for _ in range(count):
            body = {"channel": "hotline", "crux": "Жалоба для карты.", "area": "education",
                    "received_at": (datetime.now(UTC) - timedelta(days=3)).isoformat(),
                    "complainant": {"region": region}}  # fmt: skip
            answer = p.intake.post("/v1/complaints", json=body, headers=p.headers("kazbek"))
            assert answer.status_code == 201, answer.text
    p.pump()
    geo = web.get("/static/kz-regions.json")
    assert geo.status_code == 200
    shapes = {f["properties"]["name"] for f in geo.json()["features"]}
    assert len(shapes) == 16 and all(f["geometry"]["coordinates"] for f in geo.json()["features"])

    as_user(web, "kazbek")
    spec = chart(card(web, "regions", lang="kk"))
    assert spec["kind"] == "map" and spec["map"] == "/static/kz-regions.json"
    drawn = {r["code"]: r for r in spec["regions"]} | {q["code"]: q for q in spec["points"]}
    assert {r["code"] for r in spec["regions"]} == shapes
    current = {code for code, *_, retired in REGIONS if retired is None}
    assert current <= set(drawn)  # every region of today's division is on the map
    counts = {c: drawn[c]["value"] for c in ("almaty_city", "astana_city", "karaganda", "abai")}
    assert counts == {"almaty_city": 21, "astana_city": 9, "karaganda": 3, "abai": 2}
    assert drawn["pavlodar"]["value"] == 0 and drawn["pavlodar"]["link"] is None
    assert "filter=region%3Akaraganda" in drawn["karaganda"]["link"]
    assert drawn["abai"]["label"] == "Абай" and drawn["abai"]["at"] == [80.23, 50.41]

    as_user(web, "anuar")  # analyst: below the office level
    html = card(web, "regions", lang="ru")
    hidden = chart(html)
    seen = {r["code"]: r["value"] for r in hidden["regions"] + hidden["points"]}
    assert seen["karaganda"] is None and seen["abai"] is None
    assert seen["almaty_city"] == 21 and seen["pavlodar"] == 0
    assert all(v is None or v == 0 or v >= 5 for v in seen.values())
    assert "скрыто" in html


def test_the_network_view_never_shows_a_cell_below_the_threshold(web) -> None:
    seed(web.platform)
    as_user(web, "nadia")
    page = web.get("/staff/network?lang=ru")
    assert page.status_code == 200 and "/staff/network/cards/by-area?" in page.text
    answer = web.get("/staff/network/cards/by-area?lang=ru", headers={"HX-Request": "true"})
    spec = chart(answer.text)
    shown = [v for s in spec["series"] for v in s["values"] if v is not None]
    assert shown and all(v >= 5 for v in shown)
    assert any(v is None for s in spec["series"] for v in s["values"])
    assert "скрыто" in answer.text
    export = web.get("/staff/network/cards/by-area.csv?lang=ru").text
    assert ",3," not in export and ",3\r" not in export
    # a coordinator is not a network analyst: analytics refuses, the card says so
    as_user(web, "kazbek")
    refused = web.get("/staff/network/cards/by-area?lang=en", headers={"HX-Request": "true"})
    assert "Your role does not allow this." in refused.text


def test_the_alerts_inbox_explains_and_acknowledges(web) -> None:
    ids = seed(web.platform, days_ago=2)
    p = web.platform
    found = p.analytics.post(
        "/v1/alerts/detect", json={"window_end": (TODAY + timedelta(days=1)).isoformat()},
        headers=p.headers("kazbek"),
    )  # fmt: skip
    assert found.status_code == 200 and found.json(), found.text
    as_user(web, "kazbek")
    page = web.get("/staff/alerts?lang=ru")
    assert page.status_code == 200
    assert "18 жалоб — Сфера: Образование" in page.text
    assert "критерий Пуассона" in page.text
    assert "filter=area:education" in page.text.replace("%3A", ":")
    assert "Канал: Горячая линия — 14" in page.text or "Горячая линия — 14" in page.text
    alert_id = next(a["id"] for a in found.json() if a["value"] == "education")
    # The complaints behind it: the 18 education complaints, each a link to its case.
    article = page.text.split(f'id="alert-{alert_id}"')[1].split("</article>")[0]
    assert "18 обращений этого периода" in article
    links = re.findall(r'<td><a href="(/staff/cases/[^"]+)">([0-9a-f]{8})</a></td>', article)
    assert sorted(ref for _, ref in links) == sorted(i[:8] for i in ids[:18])
    href, ref = links[0]
    complaint = next(i for i in ids if i.startswith(ref))
    (case,) = p.cases.get(
        "/v1/cases", params={"complaint_id": complaint}, headers=p.headers("kazbek")
    ).json()["items"]
    assert href == f"/staff/cases/{case['id']}" and web.get(href).status_code == 200
    # An analyst reads the alert and its counts, not the complaints themselves.
    as_user(web, "anuar")
    analyst = web.get("/staff/alerts?lang=ru")
    assert "18 жалоб — Сфера: Образование" in analyst.text
    assert "alert-complaints" not in analyst.text and "/staff/cases/" not in analyst.text
    kazbek = p.name_staff("kazbek", "Казбек Омаров", "Координатор")
    as_user(web, "kazbek")
    page = web.get("/staff/alerts?lang=ru")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    done = web.post(
        f"/staff/alerts/{alert_id}/acknowledge?lang=ru",
        data={"csrf_token": token, "note": "Передано юристам", "back": "open"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    listed = p.analytics.get("/v1/alerts", headers=p.headers("kazbek")).json()
    mine = next(a for a in listed if a["id"] == alert_id)
    assert mine["status"] == "acknowledged" and mine["note"] == "Передано юристам"
    assert mine["handled_by"] == kazbek
    # who acknowledged it, by name for a colleague and "by you" for themselves
    handled = web.get("/staff/alerts?lang=ru&status=acknowledged").text
    assert "вами" in handled and "Казбек Омаров" not in handled
    as_user(web, "anuar")
    handled = web.get("/staff/alerts?lang=ru&status=acknowledged").text
    assert "Казбек Омаров, Координатор" in handled and kazbek not in handled
    as_user(web, "kazbek")
    # without the CSRF token nothing changes
    other = next((a["id"] for a in found.json() if a["id"] != alert_id), None)
    if other:
        refused = web.post(f"/staff/alerts/{other}/dismiss", data={"note": "x"})
        assert refused.status_code == 400
        still = p.analytics.get("/v1/alerts?status=open", headers=p.headers("kazbek")).json()
        assert other in {a["id"] for a in still}


def test_the_advocacy_tracker_records_edits_and_reports(web) -> None:
    c1, c2, c3 = seed(web.platform)[:3]
    web.platform.name_staff("kazbek", "Казбек Омаров")
    as_user(web, "kazbek")
    form = web.get("/staff/advocacy/new?lang=ru")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
    missing = web.post("/staff/advocacy/new?lang=ru", data={"csrf_token": token, "text": ""})
    assert missing.status_code == 422
    assert "Выберите направление." in missing.text and "Напишите предложение." in missing.text
    made = web.post(
        "/staff/advocacy/new?lang=ru",
        data={"csrf_token": token, "section": "legislation", "text": "Сократить сроки ответа",
              "result": "in_progress", "proposed_on": "2026-03-01", "areas": ["education"],
              "complaint_ids": f"{c1}, {c2}\n{c3}", "document": "Проект закона №12"},
        follow_redirects=False,
    )  # fmt: skip
    assert made.status_code == 303, made.text
    page = web.get(made.headers["location"] + "&lang=ru")
    assert "жалоб: 3, сигналов: 0" in page.text and "Образование" in page.text
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    pid = made.headers["location"].split("/")[-1].split("?")[0]
    fields = {"csrf_token": token, "section": "legislation", "text": "Сократить сроки ответа",
              "result": "adopted", "proposed_on": "2026-03-01", "result_on": "2026-06-01",
              "areas": ["education"], "complaint_ids": f"{c1} {c2} {c3}", "version": version}  # fmt: skip
    saved = web.post(f"/staff/advocacy/{pid}?lang=ru", data=fields, follow_redirects=False)
    assert saved.status_code == 303, re.findall(
        r"(?:error|summary)[^>]*>([^<]*<p>[^<]*|[^<]*)", saved.text
    )
    stale = web.post(f"/staff/advocacy/{pid}?lang=ru", data=fields)
    assert stale.status_code == 412 and "ваши изменения не сохранены" in stale.text
    listed = web.get("/staff/advocacy?lang=ru&result=adopted")
    assert "Сократить сроки ответа" in listed.text and "Принято" in listed.text
    assert "Кем внесено" in listed.text and "Казбек Омаров" in listed.text
    report = web.get("/staff/advocacy/report?lang=ru&from=2026-01-01&to=2026-12-31")
    assert "Изменения законодательства" in report.text and "принято: 1 (100.0 %)" in report.text
    csv_answer = web.get("/staff/advocacy/report?from=2026-01-01&to=2026-12-31&format=csv")
    assert "text/csv" in csv_answer.headers["content-type"]
    assert "Сократить сроки ответа" in csv_answer.text
    # a lawyer reads the tracker but may not write: analytics' 403, in plain words
    as_user(web, "lena")
    form = web.get("/staff/advocacy/new?lang=en")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', form.text).group(1)
    refused = web.post(
        "/staff/advocacy/new?lang=en",
        data={"csrf_token": token, "section": "legislation", "text": "x", "proposed_on": "2026-03-01"},
    )  # fmt: skip
    assert "Your role does not allow this." in refused.text


def test_the_dashboard_catalogues_have_every_key_in_every_language() -> None:
    keys = {
        lang: set(json.loads((PACKAGE / "locales" / f"dashboard.{lang}.json").read_text("utf-8")))
        for lang in ("kk", "ru", "en")
    }
    assert keys["kk"] == keys["ru"] == keys["en"]
    used: set[str] = set()
    sources = [*(PACKAGE / "templates" / "dashboard").glob("*.html"),
               *PACKAGE.glob("dashboard*.py")]  # fmt: skip
    for source in sources:
        text = source.read_text("utf-8")
        used |= set(
            re.findall(r"""\bt\((?:lang, )?["']((?:dash|alerts|advocacy)[a-z_.]*[a-z])["']""", text)
        )
    from alac_web.dashboard_data import DIMENSIONS

    used |= {f"dash.dim.{d}" for d in DIMENSIONS}
    assert len(used) > 100 and used - keys["en"] == set()
    assert Counter(k.split(".")[0] for k in keys["en"])["dash"] > 50


# The Almaty office of seeds/000 §1 (as services/analytics/tests/test_seed_report.py): each
# published percentage is the rounded share of these exact counts.
ALMATY = {
    "sex": {"male": 284, "female": 346},
    "age_band": {"age_40_50": 302, "age_25_39": 328},
    "education": {"higher": 422, "secondary": 208},
    "residence": {"urban": 284, "suburban": 200, "rural": 146},
    "area": {"education": 150, "not_corruption_related": 88, "property_rights": 80,
             "judicial_system": 70, "housing": 60, "healthcare": 55, "police": 50,
             "labour": 40, "banking": 37},
    "authority_level": {"local": 302, "regional": 200, "central": 44,
                        "private_organisation": 40, "undefined": 44},
    "channel": {"hotline": 523, "email": 33, "web_form": 20, "walk_in": 54},
    "anonymous": {True: 252, False: 378},
    "request_type": {"information_request": 394, "case": 236},
}  # fmt: skip
PROFILE = {"sex", "age_band", "education", "residence"}


def test_the_dashboard_shows_the_published_figures_of_the_alac_report(web) -> None:
    import random

    p = web.platform
    bands = [{"code": c, "label_en": label, "label_ru": label, "label_kk": label}
             for c, label in (("age_25_39", "25–39"), ("age_40_50", "40–50"))]  # fmt: skip
    put = p.intake.put(
        "/v1/reference/age_bands", json={"items": bands}, headers=p.headers("tamara")
    )
    assert put.status_code == 200, put.text
    rng = random.Random(630)
    columns = {}
    for field, counts in ALMATY.items():
        values = [v for v, n in counts.items() for _ in range(n)]
        rng.shuffle(values)
        columns[field] = values
    start = datetime(2008, 4, 1, 10, tzinfo=UTC)
    for i in range(630):
        received = (start + timedelta(days=31 * (i % 12))).replace(day=1 + (i // 12) % 28)
        body = {"crux": "Жалоба по данным отчёта.", "received_at": received.isoformat(),
                "complainant": {}}  # fmt: skip
        for field, values in columns.items():
            (body["complainant"] if field in PROFILE else body)[field] = values[i]
        answer = p.intake.post("/v1/complaints", json=body, headers=p.headers("vera"))
        assert answer.status_code == 201, answer.text
    p.pump(max_rounds=400)
    as_user(web, "kazbek")
    query = "from=2008-04-01&to=2009-03-31&office=almaty"

    def shares(name: str) -> dict[str, float]:
        html = card(web, name, query, lang="en")
        assert "n = 630 · 01.04.2008 – 31.03.2009" in html
        spec = chart(html)
        return {label: round(100 * v / 630, 1) for label, v in zip(spec["labels"], spec["values"])}

    assert shares("by-sex") == {"Female": 54.9, "Male": 45.1}
    assert round(shares("by-age_band")["40–50"]) == 48
    assert round(shares("by-education")["Higher"]) == 67
    assert round(shares("by-residence")["Urban"]) == 45
    areas = shares("by-area")
    assert list(areas)[:3] == ["Education", "Not related to corruption / legal information",
                               "Property rights"]  # fmt: skip
    assert round(areas["Not related to corruption / legal information"]) == 14
    levels = shares("by-authority_level")
    assert list(levels)[:2] == ["Local", "Regional"] and round(levels["Local"]) == 48
    assert round(levels["Central"]) == 7
    assert round(shares("by-channel")["Hotline"]) == 83
    assert shares("by-anonymous")["Yes"] == 40.0
    assert shares("by-request_type")["Information request"] > 60
    headline = card(web, "headline", query, lang="en")
    assert ">630<" in headline and "40.0 %" in headline
    trend = chart(card(web, "trend", query + "&interval=month"))
    assert len(trend["values"]) == 12 and sum(trend["values"]) == 630
