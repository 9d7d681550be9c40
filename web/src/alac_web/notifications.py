"""The staff console's notifications: the bell in the header, the list, "mark read", the
preferences form, and (tenant admins) the e-mails that could not be delivered: staff
notifications (cases' `/v1/notifications/deliveries`) and progress e-mails to complainants
(intake's `/v1/complainant-mail`, with "retry now"). Pages over those APIs with the signed-in
user's token.

The bell works without JavaScript: every staff page is rendered with the unread count (read
before the page by `bell_prefetch`, kept twenty seconds per session so a page costs at most
one small call), and the bell is a plain link to the list. With JavaScript, htmx refreshes
it once a minute from `/staff/notifications/bell`. Every action is a POST form with the CSRF
token, answered by a redirect (post/redirect/get)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from alac_web import i18n, roles
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.intake import ApiProblem
from alac_web.staff import SESSION_COOKIE, Console, StaffSession
from alac_web.store import TtlStore

API = "/v1/notifications"
COMPLAINANT_MAIL = "/v1/complainant-mail"
DONE = ("read", "all", "retried")
PAGE = "/staff/notifications"
PAGE_SIZE = 25
DIGESTS = ("off", "daily")
HOUR_MINUTE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# The form's fields <- the API's (`body.quiet_hours.start` -> `quiet_start`).
API_FIELDS = {"email": "email", "digest": "digest", "start": "quiet_start", "end": "quiet_end",
              "quiet_hours": "quiet_start"}  # fmt: skip
# Staff GETs that draw no header: the session check app.js makes every minute, the sign-in's
# steps, the service worker, the bell itself, and downloads.
NOT_PAGES = frozenset({"/staff/session", "/staff/login", "/staff/callback", "/staff/sw.js",
                       f"{PAGE}/bell"})  # fmt: skip
DOWNLOADS = (".pdf", ".csv", ".xlsx", ".js", ".json")


def case_link(item: dict[str, Any]) -> str | None:
    """Where a notification leads: the case page, or the service's link when it is one of the
    console's own pages (never another host)."""
    if item.get("case_id"):
        return f"/staff/cases/{item['case_id']}"
    link = str(item.get("link") or "")
    return link if link.startswith("/staff/") and not link.startswith("//") else None


def preference_errors(values: dict[str, str], lang: str) -> dict[str, str]:
    """The form's own checks, in the page's language, before anything is sent."""
    errors: dict[str, str] = {}
    if values["digest"] not in DIGESTS:
        errors["digest"] = i18n.translate(lang, "notify.error.digest")
    start, end = values["quiet_start"], values["quiet_end"]
    for name, value in (("quiet_start", start), ("quiet_end", end)):
        if value and not HOUR_MINUTE.match(value):
            errors[name] = i18n.translate(lang, "notify.error.time", value=value)
    if not errors and bool(start) != bool(end):
        missing = "quiet_end" if start else "quiet_start"
        errors[missing] = i18n.translate(lang, "notify.error.both")
    if not errors and start and start == end:
        errors["quiet_end"] = i18n.translate(lang, "notify.error.same")
    return errors


def preference_body(values: dict[str, str]) -> dict[str, Any]:
    quiet = None
    if values["quiet_start"] and values["quiet_end"]:
        quiet = {"start": values["quiet_start"], "end": values["quiet_end"]}
    return {"email": values["email"] == "yes", "digest": values["digest"], "quiet_hours": quiet}


def preference_values(prefs: dict[str, Any]) -> dict[str, str]:
    quiet = prefs.get("quiet_hours") or {}
    return {
        "email": "yes" if prefs.get("email") else "no",
        "digest": str(prefs.get("digest") or "off"),
        "quiet_start": str(quiet.get("start") or ""),
        "quiet_end": str(quiet.get("end") or ""),
    }


def form_field(api_field: str) -> str:
    """`body.quiet_hours.start` -> `quiet_start`; anything else -> `form` (the summary)."""
    last = api_field.rsplit(".", 1)[-1]
    return API_FIELDS.get(last, "form")


def install_notifications(app: FastAPI, ui: Any, console: Console) -> None:
    # session id -> {"unread": N}: the count the pages show, for twenty seconds; reading or
    # marking on these pages forgets it, so the bell is right at once after "mark read".
    counts = TtlStore(ttl_s=20)

    def t(lang: str, key: str, **values: Any) -> str:
        return i18n.translate(lang, key, **values)

    async def unread(request: Request, session: StaffSession, lang: str) -> int | None:
        """The unread count, or None when it cannot be read (the bell then shows none): cases
        unreachable, or a role without notifications (an analyst). Either is kept like a
        count, so such a user's pages do not ask again on every view."""
        sid = request.cookies.get(SESSION_COOKIE)
        known = counts.get(sid, touch=False)
        if known is not None:
            return known["unread"]
        try:
            found = await console.call(request, "cases", "GET", API, session, lang,
                                       params={"unread": "true", "limit": 1})  # fmt: skip
            count: int | None = int(found["unread"])
        except (ApiProblem, httpx.HTTPError, ValueError, KeyError, TypeError):
            count = None
        if sid is not None:  # signed in: the session cookie is there
            counts.put_as(sid, {"unread": count})
        return count

    def forget(request: Request) -> None:
        counts.pop(request.cookies.get(SESSION_COOKIE))

    @app.middleware("http")
    async def bell_prefetch(request: Request, call_next):
        """The unread count for the staff page about to be rendered (`request.state.bell`,
        which `render` passes to the templates). Only for pages: not for htmx fragments,
        form posts or downloads."""
        path = request.url.path
        if (
            request.method == "GET"
            and path.startswith("/staff")
            and path not in NOT_PAGES
            and not path.endswith(DOWNLOADS)
            and request.headers.get("hx-request") != "true"
        ):
            session = console.current(request)
            if session is not None:
                lang, _ = ui.language(request)
                request.state.bell = {"unread": await unread(request, session, lang)}
        return await call_next(request)

    def page(request: Request, template: str, session: StaffSession, **context: Any):
        return console.page(request, f"notifications/{template}", session, **context)

    # ------------------------------------------------------------------ the bell

    @app.get(f"{PAGE}/bell", response_class=HTMLResponse)
    async def bell(request: Request) -> Response:
        """The bell alone, for htmx's refresh. Signed out or unreadable: 204, which htmx
        answers by keeping the bell it has."""
        session, lang = console.signed_in(request)
        if session is None:
            return Response(status_code=204)
        forget(request)
        count = await unread(request, session, lang)
        if count is None:
            return Response(status_code=204)
        return page(request, "_bell.html", session, bell={"unread": count})

    # ------------------------------------------------------------------ the list

    @app.get(PAGE, response_class=HTMLResponse)
    async def notifications(request: Request) -> Response:
        session, lang = console.signed_in(request)
        if session is None:
            return console.to_login(request)
        show = "unread" if request.query_params.get("show") == "unread" else "all"
        params: dict[str, Any] = {"limit": PAGE_SIZE}
        if show == "unread":
            params["unread"] = "true"
        cursor = request.query_params.get("cursor")
        if cursor:
            params["cursor"] = cursor[:500]
        loaded = await console.listed(
            request, lang, console.call(request, "cases", "GET", API, session, lang, params=params)
        )
        if isinstance(loaded, Response):
            return loaded
        found, problem = loaded
        items = [{**i, "href": case_link(i)} for i in (found or {}).get("items", [])]
        sid = request.cookies.get(SESSION_COOKIE)
        if found is not None:
            if sid is not None:  # signed in: the session cookie is there
                counts.put_as(sid, {"unread": int(found["unread"])})
            request.state.bell = {"unread": int(found["unread"])}
        failed, failed_problem, complainant, complainant_problem = None, None, None, None
        if session.has(roles.TENANT_ADMIN):
            loaded = await console.listed(request, lang, console.call(
                request, "cases", "GET", f"{API}/deliveries", session, lang,
                params={"status": "failed"}))  # fmt: skip
            if isinstance(loaded, Response):
                return loaded
            failed, failed_problem = loaded
            if isinstance(failed, dict):
                failed = failed.get("items", [])
            # The complainants' progress e-mails are intake's: listed apart, by complaint.
            loaded = await console.listed(request, lang, console.call(
                request, "intake", "GET", f"{COMPLAINANT_MAIL}/failed", session, lang))  # fmt: skip
            if isinstance(loaded, Response):
                return loaded
            complainant, complainant_problem = loaded
        more = None
        if found and found.get("next"):
            more = f"{PAGE}?" + urlencode({"show": show, "cursor": found["next"]})
        done = request.query_params.get("done")
        return page(
            request, "list.html", session, items=items, problem=problem, show=show,
            unread=(found or {}).get("unread"), more=more, failed=failed,
            failed_problem=failed_problem, done=done if done in DONE else None,
            complainant=complainant["items"] if isinstance(complainant, dict) else None,
            complainant_problem=complainant_problem,
        )  # fmt: skip

    async def action(
        request: Request, done: str, work: Callable[[StaffSession, str], Awaitable[Any]]
    ) -> Response:
        form = await request.form()
        session, lang = console.signed_in(request)
        show = "unread" if form.get("show") == "unread" else "all"
        if session is None:
            return console.to_login(request, target=f"{PAGE}?show={show}")
        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return ui.message(request, lang, "notify.action_failed", status=400,
                              text=t(lang, "error.csrf"), link=(PAGE, "notify.back"))  # fmt: skip
        answer = await console.guarded(
            request, lang, work(session, lang),
            on_problem=lambda exc: ui.message(
                request, lang, "notify.action_failed", status=exc.status,
                text=console.problem_text(lang, exc), link=(PAGE, "notify.back")),
            back=f"{PAGE}?show={show}",
        )  # fmt: skip
        if isinstance(answer, Response):
            return answer
        forget(request)
        return RedirectResponse(f"{PAGE}?show={show}&done={done}", status_code=303)

    @app.post(f"{PAGE}/read-all", response_class=HTMLResponse)
    async def read_all(request: Request) -> Response:
        return await action(
            request, "all",
            lambda session, lang: console.call(request, "cases", "POST", f"{API}/read-all",
                                               session, lang),
        )  # fmt: skip

    @app.post(f"{PAGE}/{{notification_id}}/read", response_class=HTMLResponse)
    async def read_one(request: Request, notification_id: str) -> Response:
        return await action(
            request, "read",
            lambda session, lang: console.call(
                request, "cases", "POST", f"{API}/{notification_id}/read", session, lang),
        )  # fmt: skip

    @app.post(f"{PAGE}/complainant-mail/{{delivery_id}}/retry", response_class=HTMLResponse)
    async def retry_complainant_mail(request: Request, delivery_id: str) -> Response:
        """Send a complainant's progress e-mail again (tenant admins; intake decides)."""
        return await action(
            request, "retried",
            lambda session, lang: console.call(
                request, "intake", "POST",
                f"{COMPLAINANT_MAIL}/{quote(delivery_id[:64], safe='')}/retry", session, lang),
        )  # fmt: skip

    # ------------------------------------------------------------------ preferences

    @app.get(f"{PAGE}/preferences", response_class=HTMLResponse)
    async def preferences(request: Request) -> Response:
        session, lang = console.signed_in(request)
        if session is None:
            return console.to_login(request)
        prefs = await console.guarded(
            request, lang, console.call(request, "cases", "GET", f"{API}/preferences", session,
                                        lang))  # fmt: skip
        if isinstance(prefs, Response):
            return prefs
        saved = request.query_params.get("done") == "saved"
        return page(request, "preferences.html", session, values=preference_values(prefs),
                    errors={}, saved=saved, digests=DIGESTS)  # fmt: skip

    @app.post(f"{PAGE}/preferences", response_class=HTMLResponse)
    async def save_preferences(request: Request) -> Response:
        form = await request.form()
        values = {
            "email": "yes" if form.get("email") == "yes" else "no",
            "digest": str(form.get("digest", "")),
            "quiet_start": str(form.get("quiet_start", "")).strip()[:10],
            "quiet_end": str(form.get("quiet_end", "")).strip()[:10],
        }
        session, lang = console.signed_in(request)
        if session is None:  # expired while choosing: back to the form after the sign-in
            return console.to_login(request, target=f"{PAGE}/preferences")

        def again(errors: dict[str, str], status: int) -> Response:
            return page(request, "preferences.html", session, values=values, errors=errors,
                        saved=False, digests=DIGESTS, status=status,
                        summary=t(lang, "error.summary"))  # fmt: skip

        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return again({"form": t(lang, "error.csrf")}, 400)
        errors = preference_errors(values, lang)
        if errors:
            return again(errors, 422)

        def refused(problem: ApiProblem) -> Response:
            fields: dict[str, str] = {}
            for error in problem.body.get("errors") or []:
                fields.setdefault(form_field(str(error.get("field", ""))), str(error.get("reason")))
            return again(fields or {"form": console.problem_text(lang, problem)}, problem.status)

        saved = await console.guarded(
            request, lang,
            console.call(request, "cases", "PUT", f"{API}/preferences", session, lang,
                         json=preference_body(values)),
            on_problem=refused,
        )  # fmt: skip
        if isinstance(saved, Response):
            return saved
        return RedirectResponse(f"{PAGE}/preferences?done=saved", status_code=303)
