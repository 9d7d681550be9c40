"""The staff console: OIDC sign-in (authorization code flow with PKCE) and the pages staff
work in (complaint entry, case list, case page with its transitions).

The browser never holds a token. After sign-in the access token stays in this process's
memory; the browser gets a random session id in an HttpOnly, SameSite=Lax cookie (Secure on
https). What each role may see and do is decided by the services' own permissions: the pages
call the APIs with the user's token and turn their 403/404/409 problems into plain words."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlencode

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from alac_web import i18n
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.intake import ApiProblem, problem_of
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


@dataclass(frozen=True)
class StaffSession:
    token: str
    expires_at: float
    username: str
    roles: frozenset[str]
    tenant: str | None
    office: str | None

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


def install_staff(app: FastAPI, ui: Any) -> Any:
    settings = ui.settings
    sessions = TtlStore(ttl_s=12 * 3600)  # bounded by the token's own expiry, checked below
    logins = TtlStore(ttl_s=600)  # a sign-in must finish within 10 minutes
    drafts = TtlStore(ttl_s=600)  # a form typed while the session expired
    discovery: dict[str, Any] = {}

    async def oidc(request: Request) -> dict[str, Any]:
        if not discovery:
            response = await request.app.state.http.get(
                f"{settings.issuer_url}/.well-known/openid-configuration"
            )
            response.raise_for_status()
            discovery.update(response.json())
        return discovery

    def current(request: Request) -> StaffSession | None:
        session = sessions.get(request.cookies.get(SESSION_COOKIE))
        if session is None or session.expires_at <= time.time() + 5:
            return None
        return session

    def to_login(request: Request, stash: dict[str, Any] | None = None) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        if stash is not None:
            key = logins.put({"stash": stash, "next": target})
            return RedirectResponse(f"/staff/login?draft={key}", status_code=303)
        return RedirectResponse(f"/staff/login?next={quote(target)}", status_code=303)

    def page(request: Request, template: str, session: StaffSession, **context: Any):  # type: ignore[no-untyped-def]
        lang, explicit = ui.language(request)
        return ui.render(request, template, lang, explicit=explicit, staff=session, **context)

    def headers(session: StaffSession, lang: str, **extra: str) -> dict[str, str]:
        return {
            "Authorization": f"Bearer {session.token}",
            "Accept-Language": lang,
            "Accept": "application/json",
            **extra,
        }

    async def call(
        request: Request, service: str, method: str, path: str, session: StaffSession, lang: str,
        **kwargs: Any,
    ) -> Any:  # fmt: skip
        client: httpx.AsyncClient = getattr(request.app.state, f"{service}_client")
        extra = kwargs.pop("headers", {})
        response = await client.request(
            method, path, headers=headers(session, lang, **extra), **kwargs
        )
        if response.status_code >= 400:
            raise problem_of(response)
        return response.json()

    def problem_text(lang: str, problem: ApiProblem) -> str:
        key = {401: "staff.error.401", 403: "staff.error.403", 404: "staff.error.404"}.get(
            problem.status
        )
        if key:
            return i18n.translate(lang, key)
        if problem.status == 409:
            return i18n.translate(lang, "staff.error.409", detail=problem.detail)
        return i18n.translate(lang, "error.generic")

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
        query = urlencode(
            {
                "client_id": settings.client_id,
                "redirect_uri": redirect_uri,
                "response_type": "code",
                "scope": "openid",
                "state": state,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
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
        form = await request.form()
        if ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            sessions.pop(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/staff/signed-out", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/staff/signed-out", response_class=HTMLResponse)
    async def signed_out(request: Request) -> HTMLResponse:
        lang, _ = ui.language(request)
        return ui.message(request, lang, "staff.signed_out", link=("/staff", "staff.sign_in"))

    # ------------------------------------------------------------------ pages

    @app.get("/staff", response_class=HTMLResponse)
    async def staff_home(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        return page(request, "staff_home.html", session)

    async def entry_lists(request: Request, lang: str) -> dict[str, list[dict[str, Any]]]:
        api = request.app.state.intake
        channels = await api.reference("channels", lang)
        return {
            "channels": [c for c in channels if c["code"] in STAFF_CHANNELS],
            "request_types": await api.reference("request_types", lang),
            "areas": await api.reference("areas", lang),
            "caller_languages": await api.reference("languages", lang),
        }

    @app.get("/staff/complaints/new", response_class=HTMLResponse)
    async def entry_form(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        lang, _ = ui.language(request)
        draft = drafts.pop(request.cookies.get(SESSION_COOKIE))
        try:
            lists = await entry_lists(request, lang)
        except (ApiProblem, httpx.HTTPError):
            return ui.unavailable(request, lang)
        return page(
            request, "staff_entry.html", session, values=draft or {"channel": "hotline"},
            errors={}, restored=draft is not None, idempotency_key=str(uuid.uuid4()), **lists,
        )  # fmt: skip

    @app.post("/staff/complaints/new", response_class=HTMLResponse)
    async def entry_submit(request: Request) -> Response:
        lang, _ = ui.language(request)
        form = await request.form()
        values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in ENTRY_FIELDS}
        for name in ("channel", "request_type", "area", "preferred_language"):
            values[name] = str(form.get(name, ""))
        values["anonymous"] = form.get("anonymous") == "yes"
        key = str(form.get("idempotency_key", "")) or str(uuid.uuid4())
        session = current(request)
        if session is None:  # expired while typing: keep the text through the sign-in
            return to_login(request, stash=values)
        try:
            lists = await entry_lists(request, lang)
        except (ApiProblem, httpx.HTTPError):
            return ui.unavailable(request, lang)

        def again(errors: dict[str, str], summary: str, status: int) -> Response:
            return page(
                request, "staff_entry.html", session, values=values, errors=errors,
                summary=summary, idempotency_key=key, status=status, **lists,
            )  # fmt: skip

        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return again({}, i18n.translate(lang, "error.csrf"), 400)
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
        try:
            # The key was drawn when the form was shown: sending twice files once.
            accepted = await call(
                request, "intake", "POST", "/v1/complaints", session, lang, json=payload,
                headers={"Idempotency-Key": key},
            )  # fmt: skip
        except httpx.HTTPError:
            return again({}, i18n.translate(lang, "unavailable.text"), 503)
        except ApiProblem as problem:
            if problem.status == 401:
                return to_login(request, stash=values)
            if problem.status == 422 and problem.fields:
                return again(problem.fields, i18n.translate(lang, "error.summary"), 422)
            return again({}, problem_text(lang, problem), problem.status)
        return page(request, "staff_entry_done.html", session, accepted=accepted)

    @app.get("/staff/cases", response_class=HTMLResponse)
    async def case_list(request: Request) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        lang, _ = ui.language(request)
        status = request.query_params.get("status", "")
        params: dict[str, Any] = {"limit": 50}
        if status in CASE_STATUSES:
            params["status"] = status
        try:
            cases = await call(request, "cases", "GET", "/v1/cases", session, lang, params=params)
            areas = {
                a["code"]: a["label"]
                for a in await request.app.state.intake.reference("areas", lang)
            }
        except httpx.HTTPError:
            return ui.unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 401:
                return to_login(request)
            return page(request, "staff_cases.html", session, cases=[], problem=problem_text(lang, problem),
                        status_filter=status, statuses=CASE_STATUSES, areas={})  # fmt: skip
        return page(
            request, "staff_cases.html", session, cases=cases["items"], status_filter=status,
            statuses=CASE_STATUSES, areas=areas, problem=None,
        )  # fmt: skip

    async def readable(
        request: Request, session: StaffSession, lang: str, path: str
    ) -> list[dict[str, Any]] | None:
        """A list of the case, or None when the caller's role may not read it (403)."""
        try:
            return await call(request, "cases", "GET", path, session, lang)
        except ApiProblem as problem:
            if problem.status == 403:
                return None
            raise

    async def case_page(
        request: Request, session: StaffSession, case_id: str, lang: str, *,
        errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
        summary: str | None = None, status: int = 200, notice: str | None = None,
    ) -> Response:  # fmt: skip
        try:
            case = await call(request, "cases", "GET", f"/v1/cases/{quote(case_id)}", session, lang)
            history = await call(
                request, "cases", "GET", f"/v1/cases/{quote(case_id)}/history", session, lang
            )
            messages = await call(
                request, "intake", "GET",
                f"/v1/complaints/{quote(case['complaint_id'])}/messages", session, lang,
            )  # fmt: skip
            # The consent record and the actions need their own permissions (cases decides):
            # a role that may not read them still gets the rest of the page.
            consents = await readable(
                request, session, lang, f"/v1/cases/{quote(case_id)}/consents"
            )
            actions = await readable(request, session, lang, f"/v1/cases/{quote(case_id)}/actions")
            outcomes = await request.app.state.intake.reference("outcomes", lang)
            channels = {
                c["code"]: c["label"]
                for c in await request.app.state.intake.reference("channels", lang)
            }
            areas = {
                a["code"]: a["label"]
                for a in await request.app.state.intake.reference("areas", lang)
            }
        except httpx.HTTPError:
            return ui.unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 401:
                return to_login(request)
            return ui.message(request, lang, "staff.error.case", status=problem.status,
                              text=problem_text(lang, problem))  # fmt: skip
        return page(
            request, "staff_case.html", session, case=case, history=history, outcomes=outcomes,
            areas=areas, channels=channels, messages=messages, errors=errors or {},
            consents=consents, consent_scopes=CONSENT_SCOPES,
            timeline=timeline_of(history, consents or [], actions or []),
            values=values or {}, summary=summary,
            notice=notice, status=status,
        )  # fmt: skip

    @app.get("/staff/cases/{case_id}", response_class=HTMLResponse)
    async def case_view(request: Request, case_id: str) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        lang, _ = ui.language(request)
        notice = (
            i18n.translate(lang, "staff.case.moved") if request.query_params.get("moved") else None
        )
        return await case_page(request, session, case_id, lang, notice=notice)

    @app.post("/staff/cases/{case_id}/transition", response_class=HTMLResponse)
    async def case_transition(request: Request, case_id: str) -> Response:
        session = current(request)
        if session is None:
            return to_login(request)
        lang, _ = ui.language(request)
        form = await request.form()
        values = {
            k: str(form.get(k, "")).strip() for k in ("to_status", "reason", "outcome", "version")
        }
        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return await case_page(request, session, case_id, lang, values=values, status=400,
                                   summary=i18n.translate(lang, "error.csrf"))  # fmt: skip
        body: dict[str, Any] = {"to_status": values["to_status"], "reason": values["reason"]}
        if values["outcome"] and values["to_status"] == "closed":
            body["outcome"] = values["outcome"]
        if values["version"].isdigit():
            body["version"] = int(values["version"])
        try:
            await call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/transitions",
                       session, lang, json=body)  # fmt: skip
        except httpx.HTTPError:
            return ui.unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 401:
                return to_login(request)
            fields = {
                k: v for k, v in problem.fields.items() if k in ("to_status", "reason", "outcome")
            }
            summary = (
                i18n.translate(lang, "error.summary") if fields else problem_text(lang, problem)
            )
            return await case_page(request, session, case_id, lang, errors=fields, values=values,
                                   summary=summary, status=problem.status)  # fmt: skip
        return RedirectResponse(f"/staff/cases/{quote(case_id)}?moved=1", status_code=303)

    @app.post("/staff/cases/{case_id}/messages", response_class=HTMLResponse)
    async def case_message(request: Request, case_id: str) -> Response:
        """Write to the complainant: what they read on the follow-up page."""
        session = current(request)
        if session is None:
            return to_login(request)
        lang, _ = ui.language(request)
        form = await request.form()
        body = str(form.get("message", "")).strip()
        values = {"message": body}
        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return await case_page(request, session, case_id, lang, values=values, status=400,
                                   summary=i18n.translate(lang, "error.csrf"))  # fmt: skip
        if not body:
            missing = {"message": i18n.translate(lang, "followup.message.missing")}
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, summary=i18n.translate(lang, "error.summary"))  # fmt: skip
        try:
            case = await call(request, "cases", "GET", f"/v1/cases/{quote(case_id)}", session, lang)
            await call(
                request, "intake", "POST",
                f"/v1/complaints/{quote(case['complaint_id'])}/messages", session, lang,
                json={"body": body},
            )  # fmt: skip
        except httpx.HTTPError:
            return ui.unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 401:
                return to_login(request)
            return await case_page(request, session, case_id, lang, values=values,
                                   status=problem.status, summary=problem_text(lang, problem))  # fmt: skip
        return RedirectResponse(f"/staff/cases/{quote(case_id)}?sent=1#messages", status_code=303)

    @app.get("/staff/triage", response_class=HTMLResponse)
    async def triage(request: Request) -> Response:
        """The office's triage queue, oldest first: what waits longest comes first."""
        session = current(request)
        if session is None:
            return to_login(request)
        lang, _ = ui.language(request)
        try:
            queue = await call(request, "cases", "GET", "/v1/triage", session, lang)
            areas = {
                a["code"]: a["label"]
                for a in await request.app.state.intake.reference("areas", lang)
            }
        except httpx.HTTPError:
            return ui.unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 401:
                return to_login(request)
            return page(request, "staff_cases.html", session, cases=[], queue=True, areas={},
                        problem=problem_text(lang, problem))  # fmt: skip
        return page(
            request, "staff_cases.html", session, cases=queue, queue=True, areas=areas,
            problem=None,
        )  # fmt: skip

    # What other page modules (alac_web/dashboard*) need: the session and the way to sign in.
    return SimpleNamespace(current=current, to_login=to_login, problem_text=problem_text)


# The consent scopes of cases (alac_cases.consent.service.SCOPES), in the order shown.
CONSENT_SCOPES = ("formal_action", "documents_to_authorities", "media", "referral", "share_contact")


def timeline_of(
    history: dict[str, Any], consents: list[dict[str, Any]], actions: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Status changes, consent versions and actions of a case in one list, oldest first
    (each as the cases API gives it, with `kind` and `at` added)."""
    entries = [
        {**h, "kind": "status", "at": h["changed_at"]} for h in history.get("status_changes", [])
    ]
    entries += [{**c, "kind": "consent", "at": c["recorded_at"]} for c in consents]
    entries += [{**a, "kind": "action", "at": a["occurred_at"]} for a in actions]
    return sorted(entries, key=lambda e: e["at"])
