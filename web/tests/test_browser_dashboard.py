"""The coordinator dashboard, the alerts inbox and the advocacy tracker in a real browser
(Debian's Chromium through Playwright) against the platform as `alac up` starts it, in Russian
and Kazakh: every card loads and draws its chart, a click on a bar filters the other cards,
PNG export downloads the chart, an alert is acknowledged, a proposal recorded; axe-core finds
no WCAG 2.1 AA violation; nothing loads from another host. Screenshots go to
web/tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from browser_helpers import axe_violations, sign_in

from alac_kernel.testing.processes import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.xdist_group("web-browser")]

HERE = Path(__file__).resolve().parent
LOCALES = HERE.parent / "src" / "alac_web" / "locales"
AREAS = {"education": 12, "housing": 7, "police": 3}
REGIONS = ("almaty_city", "astana_city", "karaganda", "turkistan", "kyzylorda")
BAIKONUR = (63.3, 45.6)  # leased, cut out of Kyzylorda region by Natural Earth
#: Every label ECharts draws on the map (the label boxes, after its label layout), in the
#: chart's pixels: zrender draws a label's text as TSpan elements under its Text element.
MAP_LABELS = """() => {
  const chart = echarts.getInstanceByDom(document.querySelector('#card-regions .chart'));
  const seen = new Set(), boxes = [];
  chart.getZr().storage.getDisplayList(true).forEach(el => {
    const label = el.parent;
    if (el.type !== 'tspan' || !label || seen.has(label)) return;
    seen.add(label);
    const box = label.getBoundingRect().clone();
    const m = label.getComputedTransform();
    if (m) box.applyTransform(m);
    boxes.push({text: label.style.text, x: box.x, y: box.y, w: box.width, h: box.height});
  });
  return {boxes, width: chart.getWidth(), height: chart.getHeight()};
}"""


def overlapping(boxes: list[dict]) -> list[tuple[str, str]]:
    return [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if a["x"] < b["x"] + b["w"] and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"] and b["y"] < a["y"] + a["h"]
    ]  # fmt: skip


def inside(point: tuple[float, float], rings: list[list[list[float]]]) -> bool:
    """Even-odd point-in-polygon over a shape's rings (a hole counts as outside)."""
    x, y, hit = *point, False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                hit = not hit
    return hit


def t(lang: str, key: str) -> str:
    texts = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    texts.update(json.loads((LOCALES / f"dashboard.{lang}.json").read_text(encoding="utf-8")))
    return texts[key]


def analytics_url(platform) -> str:  # type: ignore[no-untyped-def]
    # `alac up` puts analytics on the port after cases (the layout of alac_cli.supervisor).
    host, port = platform.intake.rsplit(":", 1)
    return f"{host}:{int(port) + 2}"


@pytest.fixture(scope="module")
def seeded(platform):  # type: ignore[no-untyped-def]
    """Complaints of the last days through intake's API, counted by analytics' consumer, and
    the alerts they raise."""
    token = platform.token("kazbek")
    headers = {"Authorization": f"Bearer {token}"}
    received = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    i = 0
    for area, count in AREAS.items():
        for _ in range(count):
            body = {
                "channel": ("hotline", "walk_in", "email")[i % 3], "crux": "Жалоба для дашборда.",
                "area": area, "anonymous": i % 4 == 0, "received_at": received,
                "complainant": {"region": REGIONS[i % len(REGIONS)],
                                "sex": ("female", "male")[i % 2]},
            }  # fmt: skip
            i += 1
            answer = httpx.post(f"{platform.intake}/v1/complaints", json=body, headers=headers)
            assert answer.status_code == 201, answer.text
    analytics = analytics_url(platform)
    today = datetime.now(UTC).date()

    def counted() -> bool:
        answer = httpx.get(
            f"{analytics}/v1/dashboard/breakdown",
            params={"dimension": "area", "from": str(today - timedelta(days=30)), "to": str(today)},
            headers=headers,
        )  # fmt: skip
        values = {v["value"]: v["count"] for v in answer.json().get("values", [])}
        return all((values.get(a) or 0) >= n for a, n in AREAS.items())

    wait_for(counted, 60, "analytics to count the complaints", interval_s=0.5)
    found = httpx.post(
        f"{analytics}/v1/alerts/detect",
        json={"window_end": str(today + timedelta(days=1))}, headers=headers,
    )  # fmt: skip
    assert found.status_code == 200, found.text
    return {"analytics": analytics, "headers": headers}


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_dashboard_draws_every_card_and_a_click_filters_the_rest(
    platform, browser, seeded, shot, lang: str, tmp_path: Path
) -> None:
    context = browser.new_context(bypass_csp=True, accept_downloads=True, viewport={"width": 1280, "height": 900})  # fmt: skip
    page = context.new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    # (Chromium asks every host for /favicon.ico, which neither the front end nor the
    # issuer has: that 404 is not the dashboard's; any other error is)
    page.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.location.get("url", "").endswith("/favicon.ico")
            and problems.append(f"{m.text} {m.location}")
        ),
    )
    try:
        sign_in(page, platform, "kazbek", f"/staff/dashboard?lang={lang}")
        page.wait_for_function("document.querySelectorAll('.card[aria-busy]').length === 0")
        page.wait_for_function(
            "document.querySelectorAll('.chart').length > 10 && "
            "document.querySelectorAll('.chart canvas').length === document.querySelectorAll('.chart').length"
        )
        assert page.locator("h1").inner_text() == t(lang, "dash.title")
        headline = page.locator("#card-headline")
        assert t(lang, "dash.fig.received") in headline.inner_text()
        area_card = page.locator("#card-by-area")
        text = area_card.inner_text()
        assert "n = " in text and t(lang, "dash.dim.area") in text
        # every card states its n and the period
        period = page.locator("#scope").inner_text()
        for meta in page.locator(".card .meta").all_inner_texts():
            assert meta.startswith("n = ") and meta.split(" · ")[1] in period
        # labels, not codes, in the tables behind the charts
        rows = area_card.locator("table th[scope=row]").all_inner_texts()
        assert rows and not any("_" in r or r in AREAS for r in rows)
        assert axe_violations(page) == []
        shot(page, f"dashboard-{lang}")

        # PNG of the area chart, drawn by ECharts in the browser
        with page.expect_download() as download:
            area_card.locator("[data-png]").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name.startswith("alac-by-area-") and saved.read_bytes()[:4] == b"\x89PNG"

        # click the largest bar (the top one): the page comes back filtered by it
        point = page.evaluate(
            """() => {
              const el = document.querySelector('#card-by-area .chart');
              const chart = echarts.getInstanceByDom(el);
              const option = chart.getOption();
              const data = option.series[0].data;
              const top = data.length - 1;
              const [x, y] = chart.convertToPixel({seriesIndex: 0}, [data[top].value / 2, top]);
              const box = el.getBoundingClientRect();
              return {x: box.left + x, y: box.top + y, label: option.yAxis[0].data[top]};
            }"""
        )
        page.mouse.click(point["x"], point["y"])
        page.wait_for_url(lambda url: "filter=area" in url)
        page.wait_for_function("document.querySelectorAll('.card[aria-busy]').length === 0")
        chips = page.locator(".chips").inner_text()
        assert point["label"] in chips and t(lang, "dash.dim.area") in chips
        assert page.locator("#card-by-area a[aria-current=true]").count() == 1
        shot(page, f"dashboard-filtered-{lang}")
        assert axe_violations(page) == []
    finally:
        context.close()
    others = [u for u in requested if not u.startswith(platform.web + "/")]
    assert [u for u in others if not u.startswith(platform.issuer)] == []
    assert problems == [], problems


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_map_of_regions_is_drawn_from_the_apps_own_boundaries_and_filters(
    platform, browser, seeded, shot, lang: str, tmp_path: Path
) -> None:
    context = browser.new_context(bypass_csp=True, accept_downloads=True, viewport={"width": 1280, "height": 900})  # fmt: skip
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    try:
        sign_in(page, platform, "kazbek", f"/staff/dashboard?lang={lang}")
        page.wait_for_selector("#card-regions .chart[data-map=drawn]")
        drawn = page.evaluate(
            """() => {
              const chart = echarts.getInstanceByDom(document.querySelector('#card-regions .chart'));
              const option = chart.getOption();
              return {regions: option.geo[0].regions.length, map: option.geo[0].map,
                      points: option.series[0].data.map(d => d.name)};
            }"""
        )
        assert drawn["map"] == "kz" and drawn["regions"] == 16
        assert {"abai", "jetisu", "ulytau", "shymkent_city"} <= set(drawn["points"])
        card = page.locator("#card-regions")
        card.scroll_into_view_if_needed()
        assert t(lang, "dash.card.regions") in card.inner_text()
        card.screenshot(path=str(shot(page, f"map-{lang}").with_name(f"map-card-{lang}.png")))
        # No two labels overlap, and none runs off the chart: at the default size nearly all
        # of the 20 names fit (14 shapes' and 6 points'; Kazakh's long "Алматы облысы" may
        # not, between Jambyl's and Jetisu's); on a phone ECharts hides more.
        labels = page.evaluate(MAP_LABELS)
        assert len(labels["boxes"]) >= 19, [b["text"] for b in labels["boxes"]]
        assert overlapping(labels["boxes"]) == []
        assert all(
            b["x"] >= 0 and b["y"] >= 0 and b["x"] + b["w"] <= labels["width"]
            and b["y"] + b["h"] <= labels["height"] for b in labels["boxes"]
        )  # fmt: skip
        assert axe_violations(page) == []
        page.set_viewport_size({"width": 375, "height": 800})
        page.wait_for_function(
            "() => echarts.getInstanceByDom(document.querySelector('#card-regions .chart'))"
            ".getWidth() < 375"
        )
        narrow = page.evaluate(MAP_LABELS)
        assert 6 <= len(narrow["boxes"]) < 20 and overlapping(narrow["boxes"]) == []
        assert all(b["x"] >= 0 and b["x"] + b["w"] <= narrow["width"] for b in narrow["boxes"])
        card.scroll_into_view_if_needed()
        card.screenshot(path=str(shot(page, f"map-{lang}").with_name(f"map-card-375-{lang}.png")))
        # A hidden name is still there: the tooltip of its shape says it (hovered at its label
        # point, where no drawn label or point covers it).
        hidden_place = page.evaluate(
            """(boxes) => {
              const el = document.querySelector('#card-regions .chart');
              const chart = echarts.getInstanceByDom(el);
              const option = chart.getOption();
              const free = ([x, y]) => boxes.every(b => x < b.x - 8 || x > b.x + b.w + 8
                || y < b.y - 8 || y > b.y + b.h + 8) && option.series[0].data.every(d => {
                  const [px, py] = chart.convertToPixel({geoIndex: 0}, d.value);
                  return Math.hypot(px - x, py - y) > 12; });
              const shown = boxes.map(b => b.text.split('\\n')[0]);
              const hidden = option.series[1].data
                .filter(d => !shown.includes(d.place.label))
                .map(d => ({d, at: chart.convertToPixel({geoIndex: 0}, d.value)}))
                .filter(h => free(h.at));
              const box = el.getBoundingClientRect();
              const {d, at} = hidden[0];
              return {x: box.left + at[0], y: box.top + at[1], name: d.place.name,
                      hidden: hidden.length};
            }""",
            narrow["boxes"],
        )
        page.mouse.move(hidden_place["x"], hidden_place["y"])
        tooltip = page.locator("#card-regions .chart div", has_text=hidden_place["name"])
        tooltip.first.wait_for()
        page.set_viewport_size({"width": 1280, "height": 900})
        with page.expect_download() as download:
            card.locator("[data-png]").click()
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name.startswith("alac-regions-") and saved.read_bytes()[:4] == b"\x89PNG"
        # Baikonur is drawn as part of Kyzylorda (no hole): a click there filters by it
        at = page.evaluate(
            """([lon, lat]) => {
              const el = document.querySelector('#card-regions .chart');
              const [x, y] = echarts.getInstanceByDom(el).convertToPixel({geoIndex: 0}, [lon, lat]);
              const box = el.getBoundingClientRect();
              return {x: box.left + x, y: box.top + y};
            }""",
            list(BAIKONUR),
        )
        page.mouse.click(at["x"], at["y"])
        page.wait_for_url(lambda url: "filter=region" in url and "kyzylorda" in url)
        page.go_back()
        page.wait_for_selector("#card-regions .chart[data-map=drawn]")
        # a click on Karaganda (seeded) filters the page by it
        at = page.evaluate(
            """() => {
              const el = document.querySelector('#card-regions .chart');
              const [x, y] = echarts.getInstanceByDom(el).convertToPixel({geoIndex: 0}, [74.5, 49.5]);
              const box = el.getBoundingClientRect();
              return {x: box.left + x, y: box.top + y};
            }"""
        )
        page.mouse.click(at["x"], at["y"])
        page.wait_for_url(lambda url: "filter=region" in url and "karaganda" in url)
        page.wait_for_function("document.querySelectorAll('.card[aria-busy]').length === 0")
        assert page.locator(".chips").count() == 1
    finally:
        context.close()
    # the boundaries came from the front end itself, like everything else
    assert f"{platform.web}/static/kz-regions.json" in requested
    shapes = {
        f["properties"]["name"]: f["geometry"]["coordinates"]
        for f in httpx.get(f"{platform.web}/static/kz-regions.json").json()["features"]
    }
    containing = [n for n, polygons in shapes.items() if any(inside(BAIKONUR, p) for p in polygons)]
    assert containing == ["kyzylorda"]
    others = [u for u in requested if not u.startswith(platform.web + "/")]
    assert [u for u in others if not u.startswith(platform.issuer)] == []


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_alerts_inbox_shows_why_and_is_acknowledged(
    platform, browser, seeded, shot, lang: str
) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    try:
        sign_in(page, platform, "kazbek", f"/staff/alerts?status=all&lang={lang}")
        assert page.locator("h1").inner_text() == t(lang, "alerts.title")
        alerts = page.locator("article.alert")
        assert alerts.count() >= 1
        first = alerts.first.inner_text()
        assert t(lang, "alerts.why_label") in first and t(lang, "alerts.behind") in first
        # The complaints behind it (a coordinator sees them), each a link to its case.
        listed = alerts.first.locator("table.alert-complaints tbody tr")
        assert listed.count() >= 5  # an alert needs at least min_count complaints
        caption = alerts.first.locator("table.alert-complaints caption").inner_text()
        total = str(listed.count())  # fewer than the 50 a card lists: all of them
        assert caption == t(lang, "alerts.complaints.caption").replace("{total}", total)
        assert axe_violations(page) == []
        shot(page, f"alerts-{lang}")
        href = listed.first.locator("a").get_attribute("href")
        assert href and href.startswith("/staff/cases/")
        listed.first.locator("a").click()
        page.wait_for_url(f"**{href}*")
        assert page.locator("h1").count() == 1
        page.goto(f"{platform.web}/staff/alerts?status=open&lang={lang}")
        open_alerts = page.locator("article.alert.open")
        if open_alerts.count():  # the ru run acknowledges one; kk dismisses the next
            before = open_alerts.count()
            action = "acknowledge" if lang == "ru" else "dismiss"
            form = open_alerts.first.locator(f"form[action$='/{action}']")
            form.locator("input[name=note]").fill("Проверено" if lang == "ru" else "Тексерілді")
            form.locator("button").click()
            page.wait_for_selector("main .notice")
            assert t(lang, f"alerts.done.{action}") in page.locator("main .notice").inner_text()
            assert page.locator("article.alert.open").count() == before - 1
            assert axe_violations(page) == []
        else:
            shot(page, f"noopen-{lang}")
            pytest.fail("no open alert left for this language's run")
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["ru", "kk"])
def test_the_advocacy_tracker_records_a_proposal_and_reports_it(
    platform, browser, seeded, shot, lang: str
) -> None:
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    text = {
        "ru": "Ввести электронную очередь в школы",
        "kk": "Мектептерге электронды кезек енгізу",
    }[lang]
    try:
        sign_in(page, platform, "kazbek", f"/staff/advocacy/new?lang={lang}")
        assert axe_violations(page) == []
        page.click("main button[type=submit]")  # nothing filled: errors next to the fields
        page.wait_for_selector("#summary")
        assert t(lang, "advocacy.error.text") in page.locator("#text-error").inner_text()
        assert axe_violations(page) == []
        page.select_option("#section", "legal_literacy")
        page.fill("#text", text)
        page.fill("#document", "Протокол №7")
        page.check("input[name=areas][value=education]")
        page.click("main button[type=submit]")
        page.wait_for_selector("main .notice")
        assert t(lang, "advocacy.done.created") in page.locator("main .notice").inner_text()
        page.select_option("#result", "adopted")
        page.click("main button[type=submit]")
        page.wait_for_selector("main .notice")
        assert t(lang, "advocacy.done.saved") in page.locator("main .notice").inner_text()
        shot(page, f"proposal-{lang}")
        page.goto(f"{platform.web}/staff/advocacy?lang={lang}")
        row = page.locator("tr", has_text=text)
        assert t(lang, "advocacy.result.adopted") in row.inner_text()
        assert axe_violations(page) == []
        shot(page, f"advocacy-{lang}")
        page.goto(f"{platform.web}/staff/advocacy/report?lang={lang}")
        assert text in page.locator("main").inner_text()
        assert t(lang, "advocacy.section.legal_literacy") in page.locator("main").inner_text()
        assert axe_violations(page) == []
        shot(page, f"advocacy-report-{lang}")
    finally:
        context.close()
