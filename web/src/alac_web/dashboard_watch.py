"""The alerts inbox and the advocacy tracker: pages over analytics' `/v1/alerts`,
`/v1/proposals` and `/v1/reports/proposals`.

Every form is a plain POST with the CSRF token, answered by a redirect (post/redirect/get);
what a role may do is analytics' decision (a lawyer reads proposals, only coordinators and
tenant admins write; alerts are for coordinators, tenant admins and analysts)."""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from alac_web import i18n
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.dashboard_data import REFERENCE_LISTS
from alac_web.intake import ApiProblem
from alac_web.people import named_in
from alac_web.roles import ALERT_COMPLAINT_ROLES
from alac_web.staff import claims_of

ALERT_STATUSES = ("open", "acknowledged", "dismissed")
SECTIONS = ("legal_literacy", "legislation", "public_oversight")
RESULTS = ("in_progress", "adopted", "not_adopted", "no_response")
#: What an alert's complaints are broken down by on its card.
ALERT_DETAIL = ("channel", "area")
MAX_IDS = 1000
#: How many of an alert's complaints its card lists (the rest: "and N more").
ALERT_COMPLAINTS_SHOWN = 50
FORM_FIELDS = frozenset({"section", "text", "result", "detail", "document", "proposed_on",
                         "result_on", "areas", "complaint_ids", "alert_ids"})  # fmt: skip


def install_watch(app: FastAPI, ui: Any, staff: Any, api: Any) -> None:
    """`api` is the dashboard's: `call` (analytics with the user's token) and `labeller`."""

    def t(lang: str, key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    def page(request: Request, template: str, session: Any, **context: Any) -> HTMLResponse:
        lang, explicit = ui.language(request)
        return ui.render(
            request, f"dashboard/{template}", lang, explicit=explicit, staff=session, **context
        )

    def day(value: str) -> date:
        return date.fromisoformat(value[:10])

    def fmt_p(p: float) -> str:
        return "< 0.000001" if p < 1e-6 else f"{p:.6f}".rstrip("0")

    # ------------------------------------------------------------------ alerts

    async def alert_view(
        request: Request, session: Any, lang: str, alert: dict, offices: dict[str, str]
    ) -> dict:
        label = await api.labeller(request, alert["dimension"], lang, session.tenant)
        start, end = day(alert["window_start"]), day(alert["window_end"]) - timedelta(days=1)
        query = urlencode(
            [("from", start.isoformat()), ("to", end.isoformat()),
             ("filter", f"{alert['dimension']}:{alert['value']}")]
        )  # fmt: skip
        detail: dict[str, list[tuple[str, int | None]]] = {}
        for dimension in ALERT_DETAIL:
            if dimension == alert["dimension"]:
                continue
            try:
                answer = await api.call(
                    request, session, lang, "/v1/dashboard/breakdown",
                    [("dimension", dimension), ("from", start.isoformat()),
                     ("to", end.isoformat()), ("filter", f"{alert['dimension']}:{alert['value']}")],
                )  # fmt: skip
            except (ApiProblem, httpx.HTTPError):
                continue  # the alert stays readable without its breakdown
            names = await api.labeller(request, dimension, lang, session.tenant)
            detail[t(lang, f"dash.dim.{dimension}")] = [
                (names(v["value"]), v["count"])
                for v in sorted(answer["values"], key=lambda v: -(v["count"] or 0))
            ]
        complaints = await complaints_behind(request, session, lang, alert, offices)
        # analytics names who handled an alert (from cases' staff.* events): "by you", their
        # name, or "a colleague" when analytics knows no name; never the id.
        me = claims_of(session.token).get("sub")
        who = None
        if alert.get("handled_by"):
            who = (
                t(lang, "alerts.by_you") if alert["handled_by"] == me
                else named_in(alert, "handled_by") or t(lang, "alerts.by_colleague")
            )  # fmt: skip
        return {
            **alert,
            "who": who,
            "what": t(lang, "alerts.what", count=alert["count"],
                      dimension=t(lang, f"dash.dim.{alert['dimension']}"),
                      value=label(alert["value"])),
            "window": api.period_text(lang, start, end),
            "why": t(lang, "alerts.why" if alert["baseline"] >= 0.05 else "alerts.why_new",
                     baseline=f"{alert['baseline']:.1f}",
                     count=alert["count"], p=fmt_p(alert["p_value"]),
                     days=(end - start).days + 1),
            "dashboard": f"/staff/dashboard?{query}",
            "detail": detail,
            "complaints": complaints,
        }  # fmt: skip

    async def complaints_behind(
        request: Request, session: Any, lang: str, alert: dict, offices: dict[str, str]
    ) -> dict | None:
        """The alert's complaints, each linked to its case, for the office level only
        (analytics refuses the others; the page does not ask for them). None: not shown."""
        if not session.has(*ALERT_COMPLAINT_ROLES):
            return None
        try:
            answer = await api.call(
                request, session, lang, f"/v1/alerts/{alert['id']}/complaints",
                {"limit": ALERT_COMPLAINTS_SHOWN},
            )  # fmt: skip
        except (ApiProblem, httpx.HTTPError):
            return None  # the alert stays readable without its list
        channel = await api.labeller(request, "channel", lang, session.tenant)
        status = await api.labeller(request, "status", lang, session.tenant)
        rows = [
            {"ref": c["complaint_id"][:8],
             "href": f"/staff/cases/{c['case_id']}" if c["case_id"]
             else f"/staff/complaints/{c['complaint_id']}/case",
             "received": day(c["received_on"]).strftime("%d.%m.%Y"),
             "office": offices.get(c["office"] or "", c["office"] or "—"),
             "channel": channel(c["channel"] or "unspecified"),
             "status": status(c["status"])}
            for c in answer["complaints"]
        ]  # fmt: skip
        return {"rows": rows, "total": answer["total"], "more": answer["total"] - len(rows)}

    async def or_message(
        request: Request, lang: str, work: Awaitable[Any], title: str, back: tuple[str, str]
    ) -> Any:
        """The result, or the page to answer with instead (Console.guarded) titled `title`
        with a link `back`."""
        return await staff.guarded(
            request, lang, work,
            on_problem=lambda exc: ui.message(request, lang, title, status=exc.status,
                                              text=staff.problem_text(lang, exc), link=back),
        )  # fmt: skip

    @app.get("/staff/alerts", response_class=HTMLResponse)
    async def alerts(request: Request) -> Response:
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        status = request.query_params.get("status", "open")
        params = {"status": status} if status in ALERT_STATUSES else {}

        async def load() -> list[dict]:
            found = await api.call(request, session, lang, "/v1/alerts", params)
            offices = await api.office_labels(request, lang) if found else {}
            return [await alert_view(request, session, lang, a, offices) for a in found]

        loaded = await staff.listed(request, lang, load())
        if isinstance(loaded, Response):
            return loaded
        shown, problem = loaded[0] or [], loaded[1]
        return page(
            request, "alerts.html", session, alerts=shown, problem=problem,
            shown_status=status if status in ALERT_STATUSES else "all", statuses=ALERT_STATUSES,
            done=request.query_params.get("done"),
        )  # fmt: skip

    @app.post("/staff/alerts/{alert_id}/{action}", response_class=HTMLResponse)
    async def alert_action(request: Request, alert_id: str, action: str) -> Response:
        form = await request.form()
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        if action not in ("acknowledge", "dismiss") or not ui.csrf.valid(
            request, str(form.get(CSRF_FIELD, ""))
        ):
            return ui.message(request, lang, "alerts.failed", status=400,
                              link=("/staff/alerts", "alerts.back"))  # fmt: skip
        note = str(form.get("note", "")).strip()[:2000] or None
        done = await or_message(
            request, lang,
            api.call(request, session, lang, f"/v1/alerts/{alert_id}/{action}", None,
                     method="POST", json={"note": note}),
            "alerts.failed", ("/staff/alerts", "alerts.back"),
        )  # fmt: skip
        if isinstance(done, Response):
            return done
        back = str(form.get("back", "open"))
        back = back if back in (*ALERT_STATUSES, "all") else "open"
        return RedirectResponse(f"/staff/alerts?status={back}&done={action}", status_code=303)

    # ------------------------------------------------------------------ advocacy

    async def area_choices(request: Request, lang: str) -> list[dict]:
        try:
            return await request.app.state.intake.reference(REFERENCE_LISTS["area"], lang)
        except (ApiProblem, httpx.HTTPError):
            return []

    def ids(text: str) -> list[str]:
        return [i for i in (p.strip() for p in text.replace(",", " ").split()) if i][:MAX_IDS]

    async def proposal_view(request: Request, session: Any, lang: str, p: dict) -> dict:
        area = await api.labeller(request, "area", lang, session.tenant)
        return {
            **p, "area_labels": [area(a) for a in p.get("areas", [])],
            "author": named_in(p, "created_by") or t(lang, "staff.person.other"),
        }  # fmt: skip

    @app.get("/staff/advocacy", response_class=HTMLResponse)
    async def advocacy(request: Request) -> Response:
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        params = {
            k: v for k in ("section", "result", "area")
            if (v := request.query_params.get(k))
        }  # fmt: skip

        async def load() -> list[dict]:
            found = await api.call(request, session, lang, "/v1/proposals", params)
            return [await proposal_view(request, session, lang, p) for p in found]

        loaded = await staff.listed(request, lang, load())
        if isinstance(loaded, Response):
            return loaded
        proposals, problem = loaded[0] or [], loaded[1]
        return page(
            request, "advocacy.html", session, proposals=proposals, problem=problem,
            sections=SECTIONS, results=RESULTS, chosen=params,
            areas=await area_choices(request, lang), done=request.query_params.get("done"),
        )  # fmt: skip

    def proposal_form(form: Any, *, creating: bool) -> tuple[dict, dict[str, str], dict]:
        """(values as typed, errors by field, the API body)."""
        values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in (
            "section", "text", "result", "detail", "document", "proposed_on", "result_on",
            "complaint_ids", "alert_ids")}  # fmt: skip
        values["areas"] = [str(a) for a in form.getlist("areas")]
        errors: dict[str, str] = {}
        body: dict[str, Any] = {}
        if values["section"] in SECTIONS:
            body["section"] = values["section"]
        elif creating:
            errors["section"] = "advocacy.error.section"
        if values["result"] in RESULTS:
            body["result"] = values["result"]
        if values["text"]:
            body["text"] = values["text"]
        elif creating:
            errors["text"] = "advocacy.error.text"
        for name in ("proposed_on", "result_on"):
            if name == "proposed_on" and not creating:
                continue  # fixed once recorded (the API takes it on creation only)
            if values[name]:
                try:
                    body[name] = date.fromisoformat(values[name]).isoformat()
                except ValueError:
                    errors[name] = "dash.error.date"
            elif name == "proposed_on" and creating:
                errors[name] = "advocacy.error.proposed_on"
        for name in ("detail", "document"):
            if values[name] or not creating:
                body[name] = values[name] or None
        body["areas"] = values["areas"]
        body["complaint_ids"] = ids(values["complaint_ids"])
        body["alert_ids"] = ids(values["alert_ids"])
        return values, errors, body

    def api_errors(exc: ApiProblem) -> dict[str, str]:
        """analytics names body fields (`body.result_on`); the form has fields of those names.
        A reason about anything else goes to the summary (key `form`), never lost."""
        out = {name: reason for name, reason in exc.fields.items() if name in FORM_FIELDS}
        rest = [f"{name}: {reason}" for name, reason in exc.fields.items() if name not in out]
        if rest:
            out["form"] = "; ".join(rest)
        return out

    @app.get("/staff/advocacy/new", response_class=HTMLResponse)
    async def proposal_new(request: Request) -> Response:
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        values = {"section": "", "result": "in_progress", "proposed_on": date.today().isoformat(),
                  "areas": [], "complaint_ids": request.query_params.get("complaints", ""),
                  "alert_ids": request.query_params.get("alert", "")}  # fmt: skip
        return page(
            request, "proposal_form.html", session, values=values, errors={}, proposal=None,
            sections=SECTIONS, results=RESULTS, areas=await area_choices(request, lang),
            summary=None,
        )  # fmt: skip

    @app.post("/staff/advocacy/new", response_class=HTMLResponse)
    async def proposal_create(request: Request) -> Response:
        form = await request.form()
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        values, errors, body = proposal_form(form, creating=True)
        errors = {k: t(lang, v) for k, v in errors.items()}
        summary = None
        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            summary = t(lang, "error.csrf")
        elif not errors:
            try:
                created = await api.call(
                    request, session, lang, "/v1/proposals", None, method="POST", json=body
                )
                return RedirectResponse(
                    f"/staff/advocacy/{created['id']}?done=created", status_code=303
                )
            except ApiProblem as exc:
                if exc.status == 401:
                    return staff.to_login(request)
                errors = api_errors(exc)
                summary = staff.problem_text(lang, exc) if not errors else None
            except httpx.HTTPError:
                return ui.unavailable(request, lang)
        return page(
            request, "proposal_form.html", session, values=values, errors=errors, proposal=None,
            sections=SECTIONS, results=RESULTS, areas=await area_choices(request, lang),
            summary=summary or (t(lang, "advocacy.error.summary") if errors else None),
            status=422,
        )  # fmt: skip

    async def load_proposal(request: Request, session: Any, lang: str, pid: str) -> dict:
        found = await api.call(request, session, lang, f"/v1/proposals/{pid}", None)
        return await proposal_view(request, session, lang, found)

    @app.get("/staff/advocacy/report", response_class=HTMLResponse)
    async def advocacy_report(request: Request) -> Response:
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        params = {k: v for k in ("from", "to") if (v := request.query_params.get(k, ""))}
        problem, report = None, None
        try:
            for value in params.values():
                date.fromisoformat(value)
            report = await api.call(request, session, lang, "/v1/reports/proposals", params)
        except ValueError:
            problem = t(lang, "dash.error.date")
        except ApiProblem as exc:
            if exc.status == 401:
                return staff.to_login(request)
            problem = next(iter(exc.fields.values()), None) or staff.problem_text(lang, exc)
        except httpx.HTTPError:
            problem = t(lang, "unavailable.text")
        if report and request.query_params.get("format") == "csv":
            client: httpx.AsyncClient = request.app.state.analytics_client
            answer = await client.get(
                "/v1/reports/proposals", params={**params, "format": "csv"},
                headers={"Authorization": f"Bearer {session.token}"},
            )  # fmt: skip
            name = f"alac-proposals-{params.get('from', 'all')}-{params.get('to', 'all')}.csv"
            return Response(
                answer.content, media_type="text/csv; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            )  # fmt: skip
        if report:
            # The API prints results as the seed's table does ("NOT ADOPTED"): back to codes,
            # so that the page says them in its language.
            codes = {c.replace("_", " ").upper(): c for c in RESULTS}
            area = await api.labeller(request, "area", lang, session.tenant)
            for section in report.get("sections", []):
                for p in section.get("proposals", []):
                    p["result_code"] = codes.get(p["result"])
                    p["area_labels"] = [area(a) for a in p.get("areas", [])]
        return page(
            request, "advocacy_report.html", session, report=report, problem=problem,
            params=params, query=urlencode({**params, "format": "csv"}),
        )  # fmt: skip

    @app.get("/staff/advocacy/{pid}", response_class=HTMLResponse)
    async def proposal_page(request: Request, pid: str) -> Response:
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        proposal = await or_message(
            request, lang, load_proposal(request, session, lang, pid),
            "advocacy.missing", ("/staff/advocacy", "advocacy.back"),
        )  # fmt: skip
        if isinstance(proposal, Response):
            return proposal
        values = {**proposal, "complaint_ids": "\n".join(proposal["complaint_ids"]),
                  "alert_ids": "\n".join(proposal["alert_ids"]),
                  "result_on": proposal.get("result_on") or "",
                  "detail": proposal.get("detail") or "", "document": proposal.get("document") or ""}  # fmt: skip
        return page(
            request, "proposal_form.html", session, values=values, errors={}, proposal=proposal,
            sections=SECTIONS, results=RESULTS, areas=await area_choices(request, lang),
            summary=None, done=request.query_params.get("done"),
        )  # fmt: skip

    @app.post("/staff/advocacy/{pid}", response_class=HTMLResponse)
    async def proposal_update(request: Request, pid: str) -> Response:
        form = await request.form()
        session = staff.current(request)
        if session is None:
            return staff.to_login(request)
        lang, _ = ui.language(request)
        values, errors, body = proposal_form(form, creating=False)
        errors = {k: t(lang, v) for k, v in errors.items()}
        summary = None
        proposal = await or_message(
            request, lang, load_proposal(request, session, lang, pid),
            "advocacy.missing", ("/staff/advocacy", "advocacy.back"),
        )  # fmt: skip
        if isinstance(proposal, Response):
            return proposal
        status = 422
        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            summary = t(lang, "error.csrf")
            status = 400
        elif not errors:
            version = str(form.get("version", ""))
            try:
                # The version the form was shown: a proposal changed meanwhile is not
                # overwritten (412), the page says so and shows the current one.
                await api.call(
                    request, session, lang, f"/v1/proposals/{pid}", None, method="PATCH",
                    json=body, headers={"If-Match": f'"{version}"'},
                )  # fmt: skip
                return RedirectResponse(f"/staff/advocacy/{pid}?done=saved", status_code=303)
            except ApiProblem as exc:
                if exc.status == 401:
                    return staff.to_login(request)
                status = exc.status
                if exc.status == 412:
                    summary = t(lang, "advocacy.error.stale")
                else:
                    errors = api_errors(exc)
                    summary = staff.problem_text(lang, exc) if not errors else None
            except httpx.HTTPError:
                return ui.unavailable(request, lang)
        values["version"] = proposal["version"] if status == 412 else form.get("version")
        return page(
            request, "proposal_form.html", session, values=values, errors=errors,
            proposal=proposal, sections=SECTIONS, results=RESULTS,
            areas=await area_choices(request, lang),
            summary=summary or (t(lang, "advocacy.error.summary") if errors else None),
            status=status,
        )  # fmt: skip
