"""Search in the staff console: search's `GET /v1/search` (query language, filters, facets,
highlighted snippets) with the user's token, so each role sees what search lets it see
(volunteers: their office's complaints, no case fields)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.responses import Response

from alac_web import i18n, roles
from alac_web.intake import ApiProblem
from alac_web.staff import Console

FILTERS = ("area", "status", "channel", "office")
CASE_ONLY = ("status",)  # facets and filters search refuses to volunteers
_MARK = re.compile(r"(</?mark>)")


def safe_snippet(snippet: str | None) -> Markup:
    """Search's snippet is HTML-escaped text with <mark> around the matches. Taken apart and
    escaped again here, so nothing but <mark> can ever reach the page from another service."""
    if not snippet:
        return Markup("")
    parts = []
    for part in _MARK.split(snippet):
        if part in ("<mark>", "</mark>"):
            parts.append(part)
        else:
            parts.append(html.escape(html.unescape(part)))
    return Markup("".join(parts))  # noqa: S704 - every part escaped above, only <mark> kept


def install_search(app: FastAPI, console: Console) -> None:
    @app.get("/staff/search", response_class=HTMLResponse)
    async def search(request: Request) -> Response:
        session, lang = console.signed_in(request)
        if session is None:
            return console.to_login(request)
        q = request.query_params.get("q", "").strip()[:500]
        sees_cases = session.has(*roles.SEES_CASES)
        facets = [f for f in FILTERS if sees_cases or f not in CASE_ONLY]
        chosen = {f: request.query_params[f] for f in facets if request.query_params.get(f)}
        context: dict[str, Any] = {
            "q": q,
            "chosen": chosen,
            "results": None,
            "errors": {},
            "facet_names": facets,
        }
        areas = await console.guarded(
            request, lang, request.app.state.intake.reference("areas", lang)
        )
        if isinstance(areas, Response):
            return areas
        channels = await request.app.state.intake.reference("channels", lang)
        labels = {
            "area": {a["code"]: a["label"] for a in areas},
            "channel": {c["code"]: c["label"] for c in channels},
            "status": {s: i18n.translate(lang, f"casestatus.{s}") for s in STATUSES},
        }
        context["labels"] = labels
        if not q:
            return console.page(request, "staff_search.html", session, **context)
        # The hits come first; the facet counts (search counts every match of the query: the
        # slow part on a large index) come in a second request, which htmx makes as soon as
        # the page is shown (`/staff/search/facets`); without JavaScript a link asks for the
        # page with them (?facets=1), as one request.
        inline = request.query_params.get("facets") == "1"
        params: list[tuple[str, str]] = [("q", q), ("limit", "20")]
        params += [(k, v) for k, v in chosen.items()]
        params += [("facet", f) for f in facets] if inline else []
        if request.query_params.get("cursor"):
            params.append(("cursor", request.query_params["cursor"][:2000]))

        def refused(problem: ApiProblem) -> Response:
            reason = problem.fields.get("q") or problem.detail
            return console.page(
                request, "staff_search.html", session, status=problem.status,
                **{**context, "errors": {"q": i18n.translate(lang, "staff.search.bad_query",
                                                             reason=reason)}},
            )  # fmt: skip

        results = await console.guarded(
            request, lang,
            console.call(request, "search", "GET", "/v1/search", session, lang, params=params),
            on_problem=refused,
        )  # fmt: skip
        if isinstance(results, Response):
            return results
        for hit in results["items"]:
            hit["snippet_html"] = safe_snippet(hit.get("snippet"))

        return console.page(
            request, "staff_search.html", session,
            **{**context, "results": results, "link": linker(q, chosen), "inline": inline,
               "facets_url": linker(q, chosen, "/staff/search/facets")()},
        )  # fmt: skip

    @app.get("/staff/search/facets", response_class=HTMLResponse)
    async def search_facets(request: Request) -> Response:
        """The facet counts of a query, as the page's aside (htmx swaps it in)."""
        session, lang = console.signed_in(request)
        if session is None:
            return Response(status_code=401)
        q = request.query_params.get("q", "").strip()[:500]
        sees_cases = session.has(*roles.SEES_CASES)
        facets = [f for f in FILTERS if sees_cases or f not in CASE_ONLY]
        chosen = {f: request.query_params[f] for f in facets if request.query_params.get(f)}
        if not q:
            return Response(status_code=204)
        # limit=0: the total and the counts only (search counts the matches without ranking)
        params = [("q", q), ("limit", "0"), *chosen.items(), *(("facet", f) for f in facets)]
        try:
            results = await console.call(request, "search", "GET", "/v1/search", session, lang,
                                         params=params)  # fmt: skip
            labels = await labels_of(request, lang)
        except (ApiProblem, httpx.HTTPError):
            # The hits are on the page already; the counts are a help, not the answer.
            return console.page(request, "_search_facets.html", session, results=None,
                                facet_names=facets, chosen=chosen, labels={},
                                link=linker(q, chosen), facets_failed=True)  # fmt: skip
        return console.page(request, "_search_facets.html", session, results=results,
                            facet_names=facets, chosen=chosen, labels=labels,
                            link=linker(q, chosen))  # fmt: skip


def linker(q: str, chosen: dict[str, str], path: str = "/staff/search") -> Any:
    def link(**change: str | None) -> str:
        query = {"q": q, **chosen, **change}
        return f"{path}?" + urlencode({k: v for k, v in query.items() if v})

    return link


async def labels_of(request: Request, lang: str) -> dict[str, dict[str, str]]:
    areas = await request.app.state.intake.reference("areas", lang)
    channels = await request.app.state.intake.reference("channels", lang)
    return {
        "area": {a["code"]: a["label"] for a in areas},
        "channel": {c["code"]: c["label"] for c in channels},
        "status": {s: i18n.translate(lang, f"casestatus.{s}") for s in STATUSES},
    }


STATUSES = (
    "received", "triage", "quick_answer", "assessment", "awaiting_consent", "in_action",
    "awaiting_response", "closed",
)  # fmt: skip
