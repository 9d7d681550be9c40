"""The staff console: OIDC sign-in (authorization code flow with PKCE), the `Console` helper
every staff page uses, complaint entry (also queued offline, see offline.py) and the queues.
The case page is in staff_case.py, search in staff_search.py.

The browser never holds a token. After sign-in the access token stays in this process's
memory; the browser gets a random session id in an HttpOnly, SameSite=Lax cookie (Secure on
https). What each role may see and do is decided by the services' own permissions: the pages
call the APIs with the user's token and turn their 403/404/409 problems into plain words."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import inspect
import json
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse
from starlette.responses import Response

from alac_web import i18n
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.intake import ApiProblem, problem_of
from alac_web.people import namer
from alac_web.store import TtlStore

SESSION_COOKIE = "alac_session"
LOGIN_COOKIE = "alac_login"
STAFF_CHANNELS = ("hotline", "walk_in", "mobile_clinic", "letter")
CASE_STATUSES = (
    "triage",
    "quick_answer",
    "assessment",
    "awaiting_consent",
    "in_action",
    "awaiting_response",
    "closed",
)
ENTRY_FIELDS = ("crux", "help_requested", "name", "phone", "email")
# The duplicate warning waits for this much text: a few words match too much.
DUPLICATE_MIN_TEXT = 20


@dataclass(frozen=True)
class StaffSession:
    token: str
    expires_at: float
    username: str
    subject: str  # the token's `sub`: what cases records as a case's assignee
    roles: frozenset[str]
    tenant: str | None
    office: str | None
    # The OpenID Connect ID token, sent back to the issuer as id_token_hint on sign-out.
    id_token: str | None = None

    def has(self, *roles: str) -> bool:
        return bool(self.roles & set(roles))


def claims_of(token: str) -> dict[str, Any]:
    """The token's payload, unverified: it came straight from the token endpoint over the
    back channel, and every service verifies it again on each call."""
    part = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def session_from(token: str, client_id: str, expires_in: int) -> StaffSession:
    claims = claims_of(token)
    roles = set((claims.get("realm_access") or {}).get("roles", []))
    for access in (claims.get("resource_access") or {}).values():
        roles |= set(access.get("roles", []))
    org = claims.get("organization")
    tenant = (org[0] if org else None) if isinstance(org, list) else next(iter(org or {}), None)
    return StaffSession(
        token=token,
        expires_at=min(float(claims.get("exp", 0)), time.time() + expires_in),
        username=claims.get("preferred_username") or claims.get("sub", "?"),
        subject=claims.get("sub", "?"),
        roles=frozenset(roles),
        tenant=tenant,
        office=claims.get("office"),
    )


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_next(target: str | None) -> str:
    """Only our own staff pages: never an open redirect."""
    if target and target.startswith("/staff") and not target.startswith("//"):
        return target
    return "/staff"


class Console:
    """What every staff page needs: the session, the API call with the user's token, and one
    way of turning an API failure into a page (`guarded`)."""

    def __init__(self, ui: Any) -> None:
        self.ui = ui
        self.sessions = TtlStore(ttl_s=12 * 3600)  # bounded by the token's own expiry
        self.logins = TtlStore(ttl_s=600)  # a sign-in must finish within 10 minutes
        self.drafts = TtlStore(ttl_s=600)  # a form typed while the session expired
        # cases' staff registry per tenant and role set, for names (people.py): it changes
        # rarely, and a minute-old name costs nothing while the read costs every page.
        self.registries = TtlStore(ttl_s=60)

    async def registry(
        self, request: Request, session: StaffSession, lang: str
    ) -> list[dict[str, Any]] | None:
        """The staff registry as this user may read it (None: their role may not)."""
        key = f"{session.tenant}|{','.join(sorted(session.roles))}"
        cached = self.registries.get(key, touch=False)
        if cached is not None:
            return cached["staff"]
        staff = await self.readable(request, session, lang, "cases", "/v1/staff")
        self.registries.put_as(key, {"staff": staff})
        return staff

    def current(self, request: Request) -> StaffSession | None:
        session = self.sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None or session.expires_at <= time.time() + 5:
            return None
        return session

    def to_login(
        self, request: Request, stash: dict[str, Any] | None = None, target: str | None = None
    ) -> Response:
        """To the sign-in; `stash` (what was typed) comes back on `target` afterwards."""
        if target is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if stash is not None:
            key = self.logins.put({"stash": {"where": target, **stash}, "next": target})
            return RedirectResponse(f"/staff/login?draft={key}", status_code=303)
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)

    def draft_for(self, request: Request, where: str) -> dict[str, Any] | None:
        """The values typed on `where` before a sign-in, once."""
        sid = request.cookies.get(SESSION_COOKIE)
        draft = self.drafts.get(sid, touch=False)
        if draft and draft.get("where", "").split("?")[0] == where:
            self.drafts.pop(sid)
            return draft
        return None

    def page(self, request: Request, template: str, session: StaffSession, **context: Any):
        lang, explicit = self.ui.language(request)
        return self.ui.render(request, template, lang, explicit=explicit, staff=session, **context)

    async def call(
        self, request: Request, service: str, method: str, path: str, session: StaffSession,
        lang: str, **kwargs: Any,
    ) -> Any:  # fmt: skip
        """The service's answer as JSON (or the response itself with raw=True); a problem
        answer raises ApiProblem."""
        client: httpx.AsyncClient = getattr(request.app.state, f"{service}_client")
        raw = kwargs.pop("raw", False)
        headers = {
            "Authorization": f"Bearer {session.token}",
            "Accept-Language": lang,
            "Accept": "application/json",
            **kwargs.pop("headers", {}),
        }
        response = await client.request(method, path, headers=headers, **kwargs)
        if response.status_code >= 400:
            raise problem_of(response)
        return response if raw else response.json()

    async def readable(
        self, request: Request, session: StaffSession, lang: str, service: str, path: str,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        """The answer, or None when the caller's role may not read it (403): a page shows
        what the role may see and says the rest is not for it."""
        try:
            return await self.call(request, service, "GET", path, session, lang, **kwargs)
        except ApiProblem as problem:
            if problem.status == 403:
                return None
            raise

    def problem_text(self, lang: str, problem: ApiProblem) -> str:
        key = {401: "staff.error.401", 403: "staff.error.403", 404: "staff.error.404"}.get(
            problem.status
        )
        if key:
            return i18n.translate(lang, key)
        if problem.status in (409, 422):
            return i18n.translate(lang, "staff.error.409", detail=problem.detail)
        return i18n.translate(lang, "error.generic")

    async def guarded(
        self, request: Request, lang: str, work: Awaitable[Any], *,
        on_problem: Callable[[ApiProblem], Any] | None = None,
        stash: dict[str, Any] | None = None, back: str | None = None,
    ) -> Any:  # fmt: skip
        """Run API calls; on failure, the page to answer with instead (a Response): the
        service unreachable, the session gone at the service (to the sign-in, keeping
        `stash`, back to `back`), or the problem in plain words (`on_problem`, or a
        message page). Callers check `isinstance(result, Response)`."""
        try:
            return await work
        except httpx.HTTPError:
            return self.ui.unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 401:
                return self.to_login(request, stash=stash, target=back)
            if on_problem is not None:
                answer = on_problem(problem)
                return await answer if inspect.isawaitable(answer) else answer
            return self.ui.message(request, lang, "staff.error.case", status=problem.status,
                                   text=self.problem_text(lang, problem))  # fmt: skip

    async def listed(self, request: Request, lang: str, work: Awaitable[Any]) -> Any:
        """(result, None), or (None, the problem in plain words) for a page that says it in
        place; a Response (to the sign-in) when the session is gone at the service."""
        try:
            return await work, None
        except ApiProblem as exc:
            if exc.status == 401:
                return self.to_login(request)
            return None, self.problem_text(lang, exc)
        except httpx.HTTPError:
            return None, i18n.translate(lang, "unavailable.text")

    def signed_in(self, request: Request) -> tuple[StaffSession | None, str]:
        lang, _ = self.ui.language(request)
        return self.current(request), lang


def install_staff(app: FastAPI, ui: Any) -> Console:
    settings = ui.settings
    console = Console(ui)
    sessions, logins, drafts = console.sessions, console.logins, console.drafts
    current, to_login, page = console.current, console.to_login, console.page
    call, guarded = console.call, console.guarded
    discovery: dict[str, Any] = {}

    async def oidc(request: Request) -> dict[str, Any]:
        if not discovery:
            response = await request.app.state.http.get(
                f"{settings.issuer_url}/.well-known/openid-configuration"
            )
            response.raise_for_status()
            discovery.update(response.json())
        return discovery

    # ------------------------------------------------------------------ sign-in

    @app.get("/staff/login")
    async def login(request: Request) -> Response:
        draft_key = request.query_params.get("draft")
        pending = logins.pop(draft_key) if draft_key else None
        target = safe_next((pending or {}).get("next") or request.query_params.get("next"))
        try:
            endpoints = await oidc(request)
        except httpx.HTTPError:
            lang, _ = ui.language(request)
            return ui.unavailable(request, lang)
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(32)
        key = logins.put(
            {"state": state, "verifier": verifier, "next": target,
             "stash": (pending or {}).get("stash")}
        )  # fmt: skip
        redirect_uri = str(request.url_for("callback"))
        lang, _ = ui.language(request)
        query = urlencode(
            {
                "client_id": settings.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "openid",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
                "ui_locales": lang,  # Keycloak's login page in the console's language
            }
        )
        response = RedirectResponse(
            f"{endpoints['authorization_endpoint']}?{query}", status_code=303
        )
        response.set_cookie(
            LOGIN_COOKIE, key, max_age=600, httponly=True, samesite="lax",
            secure=settings.secure_for(request.url.scheme), path="/staff",
        )  # fmt: skip
        return response

    @app.get("/staff/callback", name="callback")
    async def callback(request: Request) -> Response:
        lang, _ = ui.language(request)
        pending = logins.pop(request.cookies.get(LOGIN_COOKIE))
        state = request.query_params.get("state", "")
        # The state must be the one this browser was sent off with (login CSRF).
        if not pending or not secrets.compare_digest(pending["state"], state):
            return ui.message(request, lang, "staff.login.failed", status=400)
        code = request.query_params.get("code")
        if not code:
            return ui.message(request, lang, "staff.login.failed", status=400)
        try:
            endpoints = await oidc(request)
            answer = await request.app.state.http.post(
                endpoints["token_endpoint"],
                data={
                    "grant_type": "authorization_code",
                    "code": code,
                    "client_id": settings.client_id,
                    "redirect_uri": str(request.url_for("callback")),
                    "code_verifier": pending["verifier"],
                },
            )
        except httpx.HTTPError:
            return ui.unavailable(request, lang)
        if answer.status_code != 200:
            return ui.message(request, lang, "staff.login.failed", status=400)
        body = answer.json()
        session = session_from(body["access_token"], settings.client_id, body["expires_in"])
        session = dataclasses.replace(session, id_token=body.get("id_token"))
        sid = sessions.put(session)
        if pending.get("stash"):
            drafts.put_as(sid, pending["stash"])
        response = RedirectResponse(pending["next"], status_code=303)
        response.set_cookie(
            SESSION_COOKIE, sid, httponly=True, samesite="lax",
            secure=settings.secure_for(request.url.scheme), path="/",
        )  # fmt: skip
        response.delete_cookie(LOGIN_COOKIE, path="/staff")
        return response

    @app.post("/staff/logout")
    async def logout(request: Request) -> Response:
        """End the front end's session, then the identity provider's single sign-on session
        (OpenID Connect RP-initiated logout: the browser goes to the issuer's
        end_session_endpoint with the ID token as hint and comes back to /staff/signed-out),
        so the next person at a shared computer meets the password prompt, not the account."""
        form = await request.form()
        session = None
        if ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            session = sessions.pop(request.cookies.get(SESSION_COOKIE))
        target = "/staff/signed-out"
        if session is not None and session.id_token:
            try:
                end = (await oidc(request)).get("end_session_endpoint")
            except httpx.HTTPError:
                end = None  # the issuer unreachable: at least this session is gone
            if end:
                lang, _ = ui.language(request)
                target = end + "?" + urlencode({
                    "id_token_hint": session.id_token, "client_id": settings.client_id,
                    "post_logout_redirect_uri": str(request.url_for("signed_out")),
                    "ui_locales": lang,
                })  # fmt: skip
        response = RedirectResponse(target, status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/staff/signed-out", response_class=HTMLResponse, name="signed_out")
    async def signed_out(request: Request) -> HTMLResponse:
        lang, _ = ui.language(request)
        return ui.message(request, lang, "staff.signed_out", link=("/staff", "staff.sign_in"))

    @app.get("/staff/session")
    async def session_state(request: Request) -> Response:
        """Seconds left in the session, for the page's "your session ends soon" warning
        (app.js), which lets a half-typed form be kept before the token runs out."""
        session = current(request)
        left = int(session.expires_at - time.time()) if session else 0
        return JSONResponse({"signed_in": session is not None, "seconds_left": max(0, left)})

    # ------------------------------------------------------------------ pages

    @app.get("/staff", response_class=HTMLResponse)
    async def staff_home(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        return page(request, "staff_home.html", session)

    async def entry_lists(
        request: Request, lang: str, tenant: str | None
    ) -> dict[str, list[dict[str, Any]]]:
        api = request.app.state.intake
        channels = await api.reference("channels", lang)
        return {
            "channels": [c for c in channels if c["code"] in STAFF_CHANNELS],
            "request_types": await api.reference("request_types", lang),
            "areas": await api.reference("areas", lang),
            # The languages the caller's centre works in (intake's per-tenant list, from the
            # tenant registry): intake refuses another as the preferred language.
            "caller_languages": await api.reference("languages", lang, tenant=tenant),
        }

    def unavailable_on_problem(request: Request, lang: str) -> Callable[[ApiProblem], Any]:
        return lambda _problem: ui.unavailable(request, lang)

    @app.get("/staff/complaints/new", response_class=HTMLResponse)
    async def entry_form(request: Request) -> Response:
        session, lang = console.signed_in(request)
        if session is None:
            return to_login(request)
        draft = console.draft_for(request, "/staff/complaints/new")
        lists = await guarded(request, lang, entry_lists(request, lang, session.tenant),
                              on_problem=unavailable_on_problem(request, lang))  # fmt: skip
        if isinstance(lists, Response):
            return lists
        values = (draft or {}).get("values") or {"channel": "hotline"}
        return page(
            request, "staff_entry.html", session, values=values,
            errors={}, restored=draft is not None, idempotency_key=str(uuid.uuid4()), **lists,
        )  # fmt: skip

    def entry_payload(values: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "channel": values["channel"],
            "crux": values["crux"],
            "anonymous": values["anonymous"],
        }
        for name in ("help_requested", "request_type", "area", "preferred_language"):
            if values[name]:
                payload[name] = values[name]
        contact = {k: values[k] for k in ("name", "phone", "email") if values[k]}
        if contact:
            payload["contact"] = contact
        return payload

    def entry_values(form: Any) -> dict[str, Any]:
        values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in ENTRY_FIELDS}
        for name in ("channel", "request_type", "area", "preferred_language"):
            values[name] = str(form.get(name, ""))
        values["anonymous"] = form.get("anonymous") in ("yes", True)
        return values

    @app.post("/staff/complaints/new", response_class=HTMLResponse)
    async def entry_submit(request: Request) -> Response:
        lang, _ = ui.language(request)
        form = await request.form()
        values = entry_values(form)
        key = str(form.get("idempotency_key", "")) or str(uuid.uuid4())
        session = current(request)
        if session is None:  # expired while typing: keep the text through the sign-in
            return to_login(request, stash={"values": values})
        lists = await guarded(request, lang, entry_lists(request, lang, session.tenant),
                              on_problem=unavailable_on_problem(request, lang))  # fmt: skip
        if isinstance(lists, Response):
            return lists

        def again(errors: dict[str, str], summary: str, status: int) -> Response:
            return page(
                request, "staff_entry.html", session, values=values, errors=errors,
                summary=summary, idempotency_key=key, status=status, **lists,
            )  # fmt: skip

        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return again({}, i18n.translate(lang, "error.csrf"), 400)

        def refused(problem: ApiProblem) -> Response:
            if problem.status == 422 and problem.fields:
                return again(problem.fields, i18n.translate(lang, "error.summary"), 422)
            return again({}, console.problem_text(lang, problem), problem.status)

        # The key was drawn when the form was shown: sending twice files once.
        accepted = await guarded(
            request, lang,
            call(request, "intake", "POST", "/v1/complaints", session, lang,
                 json=entry_payload(values), headers={"Idempotency-Key": key}),
            on_problem=refused, stash={"values": values},
        )  # fmt: skip
        if isinstance(accepted, Response):
            if accepted.status_code == 503:  # unreachable: keep what was typed on the form
                return again({}, i18n.translate(lang, "unavailable.text"), 503)
            return accepted
        return page(request, "staff_entry_done.html", session, accepted=accepted)

    @app.post("/staff/complaints/duplicates", response_class=HTMLResponse)
    async def entry_duplicates(request: Request) -> Response:
        """The duplicate warning while typing (htmx from complaint entry): intake's
        duplicate check of the unsaved text and contact. A hint only: any failure, a short
        text or a signed-out session answer an empty warning, never an error in the form."""
        session, lang = console.signed_in(request)
        form = await request.form()
        if session is None or not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return HTMLResponse("")
        crux = str(form.get("crux", "")).strip()
        contact = {k: str(form.get(k, "")).strip() for k in ("phone", "email")}
        contact = {k: v for k, v in contact.items() if v}
        if len(crux) < DUPLICATE_MIN_TEXT:
            return HTMLResponse("")
        body: dict[str, Any] = {"crux": crux}
        if contact:
            body["contact"] = contact
        try:
            found = await call(request, "intake", "POST", "/v1/complaints/duplicate-check",
                               session, lang, json=body)  # fmt: skip
        except ApiProblem as problem:
            if problem.status == 422 and contact:  # a phone or e-mail half typed: text only
                found = await guarded(request, lang, call(
                    request, "intake", "POST", "/v1/complaints/duplicate-check", session, lang,
                    json={"crux": crux}))  # fmt: skip
                if isinstance(found, Response):
                    return HTMLResponse("")
            else:
                return HTMLResponse("")
        except httpx.HTTPError:
            return HTMLResponse("")
        return page(request, "_entry_duplicates.html", session,
                    found=found["possible_duplicates"])  # fmt: skip

    @app.post("/staff/complaints/queued")
    async def entry_queued(request: Request) -> Response:
        """A complaint recorded offline and sent by the device's queue (offline.js): JSON in,
        JSON out, the Idempotency-Key drawn on the device when the form was filled, so a
        queue that sends again after a lost answer files once."""
        lang, _ = ui.language(request)
        session = current(request)
        if session is None:
            return JSONResponse({"error": "signed_out"}, status_code=401)
        if not ui.csrf.valid(request, request.headers.get("X-CSRF-Token", "")):
            return JSONResponse({"error": "csrf"}, status_code=403)
        key = request.headers.get("Idempotency-Key", "")
        if not 8 <= len(key) <= 64:
            return JSONResponse({"error": "idempotency_key"}, status_code=400)
        try:
            form = await request.json()
        except ValueError:
            return JSONResponse({"error": "json"}, status_code=400)
        if not isinstance(form, dict):
            return JSONResponse({"error": "json"}, status_code=400)
        values = entry_values(form)
        try:
            accepted = await call(
                request, "intake", "POST", "/v1/complaints", session, lang,
                json=entry_payload(values), headers={"Idempotency-Key": key},
            )  # fmt: skip
        except httpx.HTTPError:
            return JSONResponse({"error": "unavailable"}, status_code=503)
        except ApiProblem as problem:
            return JSONResponse(
                {"error": "refused", "status": problem.status, "fields": problem.fields,
                 "text": console.problem_text(lang, problem)},
                status_code=problem.status,
            )  # fmt: skip
        return JSONResponse(
            {"id": accepted["id"], "receipt_code": accepted["receipt_code"],
             "possible_duplicates": len(accepted.get("possible_duplicates") or [])}
        )  # fmt: skip

    # ------------------------------------------------------------------ queues

    async def area_labels(request: Request, lang: str) -> dict[str, str]:
        return {
            a["code"]: a["label"] for a in await request.app.state.intake.reference("areas", lang)
        }

    async def case_queue(
        request: Request, kind: str, params: dict[str, Any], path: str = "/v1/cases"
    ) -> Response:
        session, lang = console.signed_in(request)
        if session is None:
            return to_login(request)

        async def load() -> tuple[Any, dict[str, str]]:
            found = await call(request, "cases", "GET", path, session, lang, params=params)
            return found, await area_labels(request, lang)

        def refused(problem: ApiProblem) -> Response:
            return page(request, "staff_cases.html", session, cases=[], kind=kind, areas={},
                        problem=console.problem_text(lang, problem), statuses=CASE_STATUSES,
                        status_filter="")  # fmt: skip

        loaded = await guarded(request, lang, load(), on_problem=refused)
        if isinstance(loaded, Response):
            return loaded
        found, areas = loaded
        items = found["items"] if isinstance(found, dict) else found
        return page(
            request, "staff_cases.html", session, cases=items, kind=kind, areas=areas,
            problem=None, statuses=CASE_STATUSES, status_filter=params.get("status", ""),
        )  # fmt: skip

    @app.get("/staff/cases", response_class=HTMLResponse)
    async def case_list(request: Request) -> Response:
        status = request.query_params.get("status", "")
        params: dict[str, Any] = {"limit": 50}
        if status in CASE_STATUSES:
            params["status"] = status
        return await case_queue(request, "all", params)

    @app.get("/staff/my-cases", response_class=HTMLResponse)
    async def my_cases(request: Request) -> Response:
        """The cases assigned to the signed-in user (cases' `assignee` is the token's sub)."""
        session = current(request)
        params: dict[str, Any] = {"limit": 100, "assignee": session.subject if session else "-"}
        status = request.query_params.get("status", "")
        if status in CASE_STATUSES:
            params["status"] = status
        return await case_queue(request, "mine", params)

    @app.get("/staff/triage", response_class=HTMLResponse)
    async def triage(request: Request) -> Response:
        """The office's triage queue, oldest first: what waits longest comes first."""
        return await case_queue(request, "triage", {}, path="/v1/triage")

    @app.get("/staff/overdue", response_class=HTMLResponse)
    async def overdue(request: Request) -> Response:
        """Deadlines past due and not met (cases' `/v1/overdue`): the office's, or only the
        user's own cases with ?mine=1."""
        session, lang = console.signed_in(request)
        if session is None:
            return to_login(request)
        mine = request.query_params.get("mine") == "1"
        params = {"assignee": session.subject} if mine else {}
        if session.office and not mine:
            params["office"] = session.office

        def refused(problem: ApiProblem) -> Response:
            return page(request, "staff_overdue.html", session, deadlines=[], mine=mine,
                        problem=console.problem_text(lang, problem))  # fmt: skip

        async def load() -> tuple[Any, Any]:
            return await asyncio.gather(
                call(request, "cases", "GET", "/v1/overdue", session, lang, params=params),
                console.registry(request, session, lang),
            )

        loaded = await guarded(request, lang, load(), on_problem=refused)
        if isinstance(loaded, Response):
            return loaded
        found, registry = loaded
        found.sort(key=lambda d: d["due_at"])  # the longest overdue first
        return page(request, "staff_overdue.html", session, deadlines=found, mine=mine,
                    problem=None, who=namer(lang, session, registry))  # fmt: skip

    @app.get("/staff/unanswered", response_class=HTMLResponse)
    async def unanswered(request: Request) -> Response:
        """Complainants waiting for an answer (intake's `/v1/messages/unanswered`)."""
        session, lang = console.signed_in(request)
        if session is None:
            return to_login(request)

        def refused(problem: ApiProblem) -> Response:
            return page(request, "staff_unanswered.html", session, waiting=[], areas={},
                        problem=console.problem_text(lang, problem))  # fmt: skip

        async def load() -> tuple[Any, dict[str, str]]:
            found = await call(request, "intake", "GET", "/v1/messages/unanswered", session, lang)
            return found, await area_labels(request, lang)

        loaded = await guarded(request, lang, load(), on_problem=refused)
        if isinstance(loaded, Response):
            return loaded
        waiting, areas = loaded
        return page(request, "staff_unanswered.html", session, waiting=waiting, areas=areas,
                    problem=None)  # fmt: skip

    @app.get("/staff/complaints/{complaint_id}/case")
    async def case_of_complaint(request: Request, complaint_id: str) -> Response:
        """The case page of a complaint (the queues of intake and search know complaints)."""
        session, lang = console.signed_in(request)
        if session is None:
            return to_login(request)
        found = await guarded(
            request, lang, call(request, "cases", "GET", "/v1/cases", session, lang,
                                params={"complaint_id": complaint_id, "limit": 1}),
        )  # fmt: skip
        if isinstance(found, Response):
            return found
        if not found["items"]:
            return ui.message(request, lang, "staff.error.case", status=404,
                              text=i18n.translate(lang, "staff.no_case_yet"))  # fmt: skip
        return RedirectResponse(f"/staff/cases/{found['items'][0]['id']}", status_code=303)

    return console
