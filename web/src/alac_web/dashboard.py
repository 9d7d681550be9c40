"""The coordinator dashboard and the network analyst view: pages over analytics' API.

`/staff/dashboard` draws the filter form and one empty card per figure; each card then loads
on its own request (htmx `hx-trigger="load"`, or a plain link without JavaScript) from
`/staff/dashboard/cards/{card}`, which answers the card alone to htmx and a whole page
otherwise. The same address with `.csv` or `.xlsx` downloads the card's figures; PNG is drawn
in the browser from the chart (ECharts' own export). Clicking a bar (or the value's link in
the card's table) reloads the page with that value as a filter on every other card.

Every call goes to analytics with the signed-in user's token: what a role may see, and which
small cells are hidden, is analytics' decision; hidden cells show as "hidden", never as 0."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from starlette.responses import Response

from alac_web import i18n
from alac_web.dashboard_data import (
    DIMENSIONS,
    MAP_SHAPES,
    MAP_URL,
    POINT_LABEL_SIDES,
    REFERENCE_LISTS,
    REGION_POINTS,
    Card,
    Row,
    View,
    buckets,
    parse_view,
    percent,
    short_labels,
    to_csv,
    to_xlsx,
    total_of,
)
from alac_web.dashboard_watch import install_watch
from alac_web.intake import ApiProblem, problem_of
from alac_web.store import TtlStore

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RESOLVED = ("resolved", "advice_given")  # analytics' resolution rate (reports.service)
# The region is its own card (the cartogram), not a second bar chart of the same figures.
BREAKDOWNS = tuple(f"by-{d}" for d in DIMENSIONS if d != "region")
CARDS = ("headline", "trend", "regions", "offices", *BREAKDOWNS)
NETWORK_CARDS = ("headline", "trend", "tenants", "regions", *BREAKDOWNS)
LABELS_TTL_S = 300.0


def install_dashboard(app: FastAPI, ui: Any, staff: Any) -> None:
    labels_cache: dict[tuple[str, str, str | None], tuple[float, dict[str, str]]] = {}
    network_cache = TtlStore(ttl_s=60)  # one network report serves the page's cards

    # ------------------------------------------------------------------ helpers

    def t(lang: str, key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    def messages(lang: str) -> dict[str, str]:
        return {k: t(lang, f"dash.error.{k}") for k in ("date", "order", "long")}

    def today() -> date:
        return datetime.now(UTC).date()

    async def analytics(
        request: Request, session: Any, lang: str, path: str, params: Any = None,
        method: str = "GET", **kwargs: Any,
    ) -> Any:  # fmt: skip
        client: httpx.AsyncClient = request.app.state.analytics_client
        response = await client.request(
            method, path, params=params,
            headers={"Authorization": f"Bearer {session.token}", "Accept-Language": lang,
                     "Accept": "application/json", **kwargs.pop("headers", {})},
            **kwargs,
        )  # fmt: skip
        if response.status_code >= 400:
            raise problem_of(response)
        return response.json()

    async def reference(request: Request, name: str, lang: str, tenant: str | None) -> dict:
        """code -> label of one of intake's reference lists, retired codes included (an old
        complaint keeps its old region); cached a few minutes."""
        key = (name, lang, tenant)
        hit = labels_cache.get(key)
        if hit and time.monotonic() - hit[0] < LABELS_TTL_S:
            return hit[1]
        params = {"lang": lang, "include_retired": "true"}
        if tenant and name == "age_bands":
            params["tenant"] = tenant
        try:
            response = await request.app.state.intake_client.get(
                f"/v1/reference/{name}", params=params
            )
            items = response.json()["items"] if response.status_code == 200 else []
        except (httpx.HTTPError, ValueError, KeyError):
            items = []  # labels fall back to the catalogue, and then to the code
        found = {i["code"]: i["label"] for i in items}
        labels_cache[key] = (time.monotonic(), found)
        return found

    async def labeller(request: Request, dimension: str, lang: str, tenant: str | None):
        listed = (
            await reference(request, REFERENCE_LISTS[dimension], lang, tenant)
            if dimension in REFERENCE_LISTS
            else {}
        )

        def label(code: str) -> str:
            if code in listed:
                return listed[code]
            for key in (f"dash.value.{dimension}.{code}", f"casestatus.{code}",
                        f"dash.value.{code}"):  # fmt: skip
                if dimension != "status" and key.startswith("casestatus."):
                    continue
                text = t(lang, key)
                if text != key:
                    return text
            return code.replace("_", " ")

        return label

    async def office_labels(request: Request, lang: str) -> dict[str, str]:
        try:
            offices = await request.app.state.intake.reference("public_offices", lang)
        except (ApiProblem, httpx.HTTPError):
            return {}
        return {o["code"]: o["label"] for o in offices}

    def period_text(lang: str, start: date, end: date) -> str:
        return t(
            lang, "dash.period", start=start.strftime("%d.%m.%Y"), end=end.strftime("%d.%m.%Y")
        )

    def meta_of(lang: str, view: View, card: Card, offices: dict[str, str], filt: list) -> list:
        return [
            (t(lang, "dash.export.card"), card.title),
            (t(lang, "dash.export.period"), period_text(lang, view.period_from, view.period_to)),
            (t(lang, "dash.export.offices"),
             ", ".join(offices.get(o, o) for o in view.offices) or t(lang, "dash.offices.all")),
            (t(lang, "dash.export.filters"), "; ".join(filt) or "—"),
            ("n", "" if card.n is None else str(card.n)),
        ]  # fmt: skip

    async def filter_texts(request: Request, view: View, lang: str, tenant: str | None) -> list:
        out = []
        for dimension, value in view.filters:
            label = await labeller(request, dimension, lang, tenant)
            out.append(
                {"text": f"{t(lang, f'dash.dim.{dimension}')}: {label(value)}",
                 "remove": view.toggled(dimension, value)}
            )  # fmt: skip
        return out

    # ------------------------------------------------------------------ cards (tenant)

    async def breakdown(request, session, lang, view, dimension, period=None) -> dict:
        return await analytics(
            request, session, lang, "/v1/dashboard/breakdown",
            [("dimension", dimension), *view.api_params(period=period)],
        )  # fmt: skip

    async def timeseries(request, session, lang, view, period=None, offices=None) -> dict:
        params = [("interval", view.interval), *view.api_params(period=period)]
        if offices is not None:
            params = [p for p in params if p[0] != "office"] + [("office", o) for o in offices]
        return await analytics(request, session, lang, "/v1/dashboard/timeseries", params)

    async def dimension_card(request, session, lang, view, dimension) -> Card:
        answer = await breakdown(request, session, lang, view, dimension)
        label = await labeller(request, dimension, lang, session.tenant)
        values = answer["values"]
        n = total_of([v["count"] for v in values])
        if dimension == "outcome":
            note = t(lang, "dash.note.outcome")
        else:
            note = None
        rows = [
            Row(code=v["value"], label=label(v["value"]), count=v["count"],
                percent=percent(v["count"], n), href=view.toggled(dimension, v["value"]),
                active=(dimension, v["value"]) in view.filters)
            for v in values
        ]  # fmt: skip
        rows.sort(key=lambda r: (r.count is None, -(r.count or 0), r.label))
        kind = "map" if dimension == "region" else "bar"
        return Card(
            key=f"by-{dimension}", title=t(lang, f"dash.dim.{dimension}"), kind=kind, n=n,
            rows=rows, note=note, hidden=bool(answer.get("suppressed")),
            columns=(t(lang, "dash.col.value"), t(lang, "dash.col.code"),
                     t(lang, "dash.col.count"), t(lang, "dash.col.percent")),
        )  # fmt: skip

    async def trend_card(request, session, lang, view) -> Card:
        previous = view.previous()
        now, before = await asyncio.gather(
            timeseries(request, session, lang, view),
            timeseries(request, session, lang, view, period=previous),
        )
        counted = {p["period"]: p["count"] for p in now["points"]}
        counted_before = {p["period"]: p["count"] for p in before["points"]}
        current_keys = buckets(view.period_from, view.period_to, view.interval)
        earlier_keys = buckets(previous[0], previous[1], view.interval)
        earlier = [counted_before.get(k, 0) for k in earlier_keys]
        rows = []
        for i, key in enumerate(current_keys):
            rows.append(
                Row(code=key, label=key, count=counted.get(key, 0),
                    previous=earlier[i] if i < len(earlier) else None)
            )  # fmt: skip
        n = total_of([r.count for r in rows])
        n_before = total_of(earlier)
        change = percent((n or 0) - (n_before or 0), n_before) if n is not None else None
        note = t(
            lang, "dash.trend.note",
            previous=period_text(lang, *previous),
            before="—" if n_before is None else n_before,
            change="—" if change is None else f"{change:+.1f} %",
        )  # fmt: skip
        return Card(
            key="trend", title=t(lang, "dash.card.trend", interval=t(lang, f"dash.interval.{view.interval}")),
            kind="line", n=n, rows=rows, note=note,
            hidden=bool(now.get("suppressed") or before.get("suppressed")),
            columns=(t(lang, "dash.col.period"), t(lang, "dash.col.count"),
                     t(lang, "dash.col.previous")),
        )  # fmt: skip

    async def headline_card(request, session, lang, view) -> Card:
        previous = view.previous()

        async def quietly(coro):
            try:
                return await coro
            except ApiProblem as problem:
                if problem.status in (401, 403):
                    raise
                return None  # e.g. a duration under a combined filter: said on the card

        now, before, anonymous, outcome, status, triage = await asyncio.gather(
            timeseries(request, session, lang, view),
            timeseries(request, session, lang, view, period=previous),
            breakdown(request, session, lang, view, "anonymous"),
            breakdown(request, session, lang, view, "outcome"),
            breakdown(request, session, lang, view, "status"),
            quietly(breakdown(request, session, lang, view, "time_to_triage_hours")),
        )
        total = total_of([p["count"] for p in now["points"]])
        total_before = total_of([p["count"] for p in before["points"]])
        counts = {v["value"]: v["count"] for v in anonymous["values"]}
        anon_n = total_of(list(counts.values()))
        outcomes = {v["value"]: v["count"] for v in outcome["values"]}
        closed = total_of(list(outcomes.values()))
        resolved = total_of([outcomes.get(o, 0) for o in RESOLVED])
        statuses = {v["value"]: v["count"] for v in status["values"]}
        open_cases = total_of(
            [c for s, c in statuses.items() if s not in ("closed", "unspecified")]
        )

        def number(value: int | None) -> str:
            return t(lang, "dash.hidden") if value is None else f"{value:,}".replace(",", "\u00a0")

        def share(part: int | None, whole: int | None) -> str:
            p = percent(part, whole)
            return (
                t(lang, "dash.hidden") if p is None and whole else ("—" if p is None else f"{p} %")
            )

        change = (
            percent((total or 0) - (total_before or 0), total_before) if total is not None else None
        )
        figures = [
            {"key": "received", "label": t(lang, "dash.fig.received"), "value_text": number(total),
             "n": total, "detail": t(lang, "dash.fig.received.detail", before=number(total_before),
                                     change="—" if change is None else f"{change:+.1f} %")},
            {"key": "anonymous", "label": t(lang, "dash.fig.anonymous"),
             "value_text": share(counts.get("yes", 0), anon_n), "n": anon_n,
             "detail": t(lang, "dash.fig.n", n=number(anon_n))},
            {"key": "resolution", "label": t(lang, "dash.fig.resolution"),
             "value_text": share(resolved, closed), "n": closed,
             "detail": t(lang, "dash.fig.resolution.detail", n=number(closed))},
            {"key": "open", "label": t(lang, "dash.fig.open"), "value_text": number(open_cases),
             "n": total, "detail": t(lang, "dash.fig.open.detail")},
        ]  # fmt: skip
        if triage is None:
            figures.append(
                {"key": "triage", "label": t(lang, "dash.fig.triage"), "value_text": "—",
                 "n": None, "detail": t(lang, "dash.fig.triage.combined")}
            )  # fmt: skip
        else:
            hist = {int(v["value"]): v["count"] for v in triage["values"] if v["value"].isdigit()}
            median, n_live = median_of(hist)
            figures.append(
                {"key": "triage", "label": t(lang, "dash.fig.triage"),
                 "value_text": "—" if median is None else t(lang, "dash.hours", hours=median),
                 "n": n_live, "detail": t(lang, "dash.fig.triage.detail", n=number(n_live))}
            )  # fmt: skip
        rows = [
            Row(
                code="current",
                label=period_text(lang, view.period_from, view.period_to),
                count=total,
            ),
            Row(code="previous", label=period_text(lang, *previous), count=total_before),
        ]
        return Card(
            key="headline", title=t(lang, "dash.card.headline"), kind="compare", n=total,
            rows=rows, figures=figures, hidden=total is None,
            columns=(t(lang, "dash.col.figure"), t(lang, "dash.col.value"), "n"),
        )  # fmt: skip

    async def offices_card(request, session, lang, view) -> Card:
        names = await office_labels(request, lang)
        # The tenant's offices: those on the public list of this tenant, the user's own, and
        # any chosen; the public list names offices of every tenant, so keep this tenant's.
        try:
            public = await request.app.state.intake.reference("public_offices", lang)
            mine = {o["code"] for o in public if o.get("parent") == session.tenant}
        except (ApiProblem, httpx.HTTPError):
            mine = set()
        codes = sorted(mine | set(view.offices) | ({session.office} if session.office else set()))
        answers = await asyncio.gather(
            *(timeseries(request, session, lang, view, offices=[c]) for c in codes)
        )
        rows = [
            Row(code=c, label=names.get(c, c), count=total_of([p["count"] for p in a["points"]]),
                href=view.query(offices=(c,)), active=view.offices == (c,))
            for c, a in zip(codes, answers, strict=True)
        ]  # fmt: skip
        n = total_of([r.count for r in rows])
        for row in rows:
            row.percent = percent(row.count, n)
        return Card(
            key="offices", title=t(lang, "dash.card.offices"), kind="bar", n=n, rows=rows,
            note=t(lang, "dash.offices.note"), hidden=any(r.count is None for r in rows),
            columns=(t(lang, "dash.col.office"), t(lang, "dash.col.code"),
                     t(lang, "dash.col.count"), t(lang, "dash.col.percent")),
        )  # fmt: skip

    async def build_card(request, session, lang, view, name) -> Card | None:
        if name == "headline":
            return await headline_card(request, session, lang, view)
        if name == "trend":
            return await trend_card(request, session, lang, view)
        if name == "offices":
            return await offices_card(request, session, lang, view)
        if name == "regions":
            card = await dimension_card(request, session, lang, view, "region")
            card.key, card.title = "regions", t(lang, "dash.card.regions")
            return card
        return await dimension_card(request, session, lang, view, name.removeprefix("by-"))

    # ------------------------------------------------------------------ cards (network)

    async def network_report(request, session, lang, view) -> dict:
        key = hashlib.sha256(
            f"{session.token}|{view.period_from}|{view.period_to}".encode()
        ).hexdigest()
        hit = network_cache.get(key)
        if hit is not None:
            return hit
        body = await analytics(
            request, session, lang, "/v1/network/statistics",
            [("from", view.period_from.isoformat()), ("to", view.period_to.isoformat())],
        )  # fmt: skip
        network_cache.put_as(key, body)
        return body

    async def build_network_card(request, session, lang, view, name) -> Card | None:
        report = await network_report(request, session, lang, view)
        tenants = report.get("tenants", {})
        columns_for = (t(lang, "dash.col.value"), t(lang, "dash.col.code"),
                       t(lang, "dash.network.all"), *tenants)  # fmt: skip
        if name == "headline":
            rows = [Row(code=c, label=c, count=s["total"]) for c, s in tenants.items()]
            return Card(
                key="headline", title=t(lang, "dash.card.network_headline"), kind="bar",
                n=report["total"], rows=rows, hidden=any(r.count is None for r in rows),
                columns=(t(lang, "dash.col.tenant"), t(lang, "dash.col.code"),
                         t(lang, "dash.col.count"), t(lang, "dash.col.percent")),
            )  # fmt: skip
        if name == "tenants" or name == "trend":
            months = sorted({m["month"] for s in [report, *tenants.values()] for m in s["monthly"]})
            series = [
                {"name": t(lang, "dash.network.all"), "code": "all",
                 "values": {m["month"]: m["count"] for m in report["monthly"]}},
                *({"name": c, "code": c, "values": {m["month"]: m["count"] for m in s["monthly"]}}
                  for c, s in tenants.items()),
            ]  # fmt: skip
            if name == "trend":
                series = series[:1]
            rows = [Row(code=m, label=m, count=series[0]["values"].get(m)) for m in months]
            return Card(
                key=name, title=t(lang, "dash.card.network_trend" if name == "trend" else "dash.card.tenants"),
                kind="multi-line", n=report["total"], rows=rows, series=series,
                hidden=any(v is None for s in series for v in s["values"].values()),
                columns=(t(lang, "dash.col.period"), t(lang, "dash.col.code"),
                         *[s["name"] for s in series]),
            )  # fmt: skip
        dimension = "region" if name == "regions" else name.removeprefix("by-")
        merged = report["dimensions"].get(dimension)
        if merged is None:
            return None  # not a dimension of this analytics version
        label = await labeller(request, dimension, lang, None)
        codes = [v["value"] for v in merged["values"]]
        series = [
            {"name": t(lang, "dash.network.all"), "code": "all",
             "values": {v["value"]: v["count"] for v in merged["values"]}},
            *({"name": c, "code": c,
               "values": {v["value"]: v["count"] for v in s["dimensions"][dimension]["values"]}}
              for c, s in tenants.items()),
        ]  # fmt: skip
        rows = [
            Row(code=c, label=label(c), count=series[0]["values"].get(c),
                percent=percent(series[0]["values"].get(c), merged["n"]))
            for c in codes
        ]  # fmt: skip
        return Card(
            key=name, title=t(lang, "dash.card.regions" if name == "regions" else f"dash.dim.{dimension}"),
            kind="grouped", n=merged["n"], rows=rows, series=series,
            hidden=any(v is None for s in series for v in s["values"].values()),
            columns=columns_for,
        )  # fmt: skip

    # ------------------------------------------------------------------ routes

    def signed_in(request: Request):
        return staff.current(request)

    async def dashboard_page(request: Request, network: bool) -> Response:
        session = signed_in(request)
        if session is None:
            return staff.to_login(request)
        lang, explicit = ui.language(request)
        view = parse_view(request.query_params, today(), messages=messages(lang))
        if network:
            view = View(view.period_from, view.period_to, interval="month", errors=view.errors)
        offices = await office_labels(request, lang)
        try:
            public = await request.app.state.intake.reference("public_offices", lang)
        except (ApiProblem, httpx.HTTPError):
            public = []
        own = [o for o in public if o.get("parent") == session.tenant]
        return ui.render(
            request, "dashboard/page.html", lang, explicit=explicit, staff=session,
            view=view, network=network, cards=NETWORK_CARDS if network else CARDS,
            base="/staff/network" if network else "/staff/dashboard",
            office_choices=own, office_names=offices,
            filters=await filter_texts(request, view, lang, session.tenant),
            period=period_text(lang, view.period_from, view.period_to),
        )  # fmt: skip

    @app.get("/staff/dashboard", response_class=HTMLResponse)
    async def dashboard(request: Request) -> Response:
        return await dashboard_page(request, network=False)

    @app.get("/staff/network", response_class=HTMLResponse)
    async def network(request: Request) -> Response:
        return await dashboard_page(request, network=True)

    async def card_response(request: Request, name: str, network: bool) -> Response:
        session = signed_in(request)
        if session is None:
            if request.headers.get("HX-Request"):
                # htmx follows no redirect to a sign-in page inside a card: say it in place.
                lang, _ = ui.language(request)
                return HTMLResponse(
                    f'<p class="problem">{t(lang, "staff.error.401")} '
                    f'<a href="/staff/login">{t(lang, "staff.sign_in")}</a></p>'
                )
            return staff.to_login(request)
        fmt = None
        for suffix in (".csv", ".xlsx"):
            if name.endswith(suffix):
                name, fmt = name.removesuffix(suffix), suffix[1:]
        if name not in (NETWORK_CARDS if network else CARDS):
            return HTMLResponse("not found", status_code=404)
        lang, explicit = ui.language(request)
        view = parse_view(request.query_params, today(), messages=messages(lang))
        base = "/staff/network" if network else "/staff/dashboard"
        problem = None
        card = None
        try:
            build = build_network_card if network else build_card
            card = await build(request, session, lang, view, name)
        except ApiProblem as exc:
            if exc.status == 422 and name.startswith("by-") and "dimension" in exc.fields:
                card = None  # analytics does not offer this dimension: the card goes away
            elif exc.status == 401:
                problem = t(lang, "staff.error.401")
            else:
                problem = staff.problem_text(lang, exc)
        except httpx.HTTPError:
            problem = t(lang, "unavailable.text")
        if fmt and card is not None:
            offices = await office_labels(request, lang)
            filt = [f["text"] for f in await filter_texts(request, view, lang, session.tenant)]
            meta = meta_of(lang, view, card, offices, filt)
            stem = f"alac-{'network-' if network else ''}{card.key}-{view.period_from}-{view.period_to}"
            if view.offices:
                stem += "-" + "-".join(view.offices)
            if fmt == "csv":
                return Response(
                    "\ufeff" + to_csv(card, meta), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
                )  # fmt: skip
            return Response(
                to_xlsx(card, meta), media_type=XLSX,
                headers={"Content-Disposition": f'attachment; filename="{stem}.xlsx"'},
            )  # fmt: skip
        regions = (
            await reference(request, "regions", lang, None)
            if card is not None and card.kind == "map" else {}
        )  # fmt: skip
        if fmt:
            return HTMLResponse(
                problem or "not found", status_code=404 if card is None and problem is None else 503
            )
        context = dict(
            card=card, name=name, problem=problem, view=view, base=base, network=network,
            period=period_text(lang, view.period_from, view.period_to),
            threshold_note=t(lang, "dash.hidden.note"),
            chart=chart_spec(card, lang, regions, period_text(lang, view.period_from, view.period_to))
            if card
            else None,
        )  # fmt: skip
        if request.headers.get("HX-Request"):
            return ui.render(request, "dashboard/card.html", lang, explicit=explicit, **context)
        return ui.render(
            request, "dashboard/card_page.html", lang, explicit=explicit, staff=session, **context
        )

    @app.get("/staff/dashboard/cards/{name}", response_class=HTMLResponse)
    async def dashboard_card(request: Request, name: str) -> Response:
        return await card_response(request, name, network=False)

    @app.get("/staff/network/cards/{name}", response_class=HTMLResponse)
    async def network_card(request: Request, name: str) -> Response:
        return await card_response(request, name, network=True)

    # The alerts inbox and the advocacy tracker use the same calls and labels.
    install_watch(
        app, ui, staff,
        SimpleNamespace(call=analytics, labeller=labeller, period_text=period_text,
                        office_labels=office_labels),
    )  # fmt: skip

    def chart_spec(
        card: Card, lang: str, region_labels: dict[str, str], period: str
    ) -> dict[str, Any]:
        """What static/dashboard.js needs to draw the card with ECharts."""
        spec: dict[str, Any] = {
            "kind": card.kind,
            "title": card.title,
            "subtitle": ("n = " + ("—" if card.n is None else str(card.n))),
            "period": period,
            "hidden": t(lang, "dash.hidden"),
            "labels": [r.label for r in card.rows],
            "values": [r.count for r in card.rows],
            "links": [r.href for r in card.rows],
            "previous": [r.previous for r in card.rows],
            "names": [t(lang, "dash.series.current"), t(lang, "dash.series.previous")],
        }
        if card.series:
            spec["series"] = [
                {"name": s["name"], "values": [s["values"].get(r.code) for r in card.rows]}
                for s in card.series
            ]
        if card.kind == "map":
            shown = {r.code: r for r in card.rows}
            names = short_labels(
                {c: region_labels.get(c, c) for c in MAP_SHAPES | set(REGION_POINTS)}
            )

            def place(code: str) -> dict[str, Any]:
                # A region without complaints is 0; a hidden (small) one stays None: "hidden".
                row = shown.get(code)
                return {
                    "code": code,
                    "label": names[code],
                    "name": region_labels.get(code, code),
                    "value": row.count if row else 0,
                    "link": row.href if row else None,
                }

            spec["map"] = MAP_URL
            spec["regions"] = [place(c) for c in sorted(MAP_SHAPES)]
            spec["points"] = [
                {**place(c), "at": list(at), "side": POINT_LABEL_SIDES.get(c, "right")}
                for c, at in REGION_POINTS.items()
            ]
            outside = [r for r in card.rows if r.code not in MAP_SHAPES | set(REGION_POINTS)]
            spec["outside"] = [{"label": r.label, "value": r.count} for r in outside]
        return spec


def median_of(histogram: dict[int, int | None]) -> tuple[int | None, int | None]:
    """Median (nearest rank) over whole-hour buckets, as analytics' report computes it."""
    if any(v is None for v in histogram.values()):
        return None, None
    points = sorted((h, n or 0) for h, n in histogram.items())
    n = sum(c for _, c in points)
    if not n:
        return None, 0
    wanted, seen = max(1, -(-n // 2)), 0
    for hours, count in points:
        seen += count
        if seen >= wanted:
            return hours, n
    return points[-1][0], n
