"""The web front end: a backend-for-frontend over the services' public HTTP APIs.

Pages are rendered on the server (Jinja2) and work with JavaScript switched off: every action
is a plain form POST answered by a redirect (post/redirect/get), so a reload never files a
complaint twice. htmx, served from this app like every other asset, only makes the follow-up
messages update in place. Nothing loads from another host (Content-Security-Policy
`default-src 'self'`)."""

from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile
from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response

from alac_web import i18n, times
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.csrf import Csrf
from alac_web.dashboard import install_dashboard
from alac_web.intake import ApiProblem, Intake
from alac_web.notifications import install_notifications
from alac_web.offline import install_offline
from alac_web.settings import PACKAGE, WebSettings
from alac_web.staff import install_staff
from alac_web.staff_case import install_case_page
from alac_web.staff_search import install_search
from alac_web.store import TtlStore
from alac_web.zones import TenantZones, install_zones

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)
RECEIPT_COOKIE = "alac_receipt"
FOLLOWUP_COOKIE = "alac_followup"
# The public complaint form's text fields (name attributes = keys of the values kept on error).
TEXT_FIELDS = ("crux", "help_requested", "name", "phone", "email")
MAX_FILES = 3  # per complaint form; intake's upload limit per address is sized for it
# Intake's refusal of a file -> the catalogue's reason (its own detail is for developers).
FILE_REASONS = {413: "file.reason.size", 415: "file.reason.type"}
VENDOR = {
    # URL name -> file under the pinned node_modules (web/package.json, `npm ci`)
    "htmx.min.js": "htmx.org/dist/htmx.min.js",
    # Apache ECharts' full build (the "common" one has no geo component, which the map of
    # regions needs): the dashboard pages only.
    "echarts.min.js": "echarts/dist/echarts.min.js",
}


def create_app(
    settings: WebSettings | None = None,
    *,
    intake_transport: Any = None,
    cases_transport: Any = None,
    search_transport: Any = None,
    issuer_transport: Any = None,
    analytics_transport: Any = None,
) -> FastAPI:
    settings = settings or WebSettings.from_env()
    csrf = Csrf(settings.secret())
    # Each tenant's zone from the registry (zones.py); a default zone that does not exist
    # stops the start, not a page later.
    zones = TenantZones(settings.time_zone)
    # Sign-out is a form whose answer redirects to the issuer's end-session endpoint, and
    # Chromium holds form redirects to form-action too: the issuer's origin is allowed there.
    issuer = urlsplit(settings.issuer_url)
    csp = CSP.replace("form-action 'self'", f"form-action 'self' {issuer.scheme}://{issuer.netloc}")
    receipts = TtlStore(ttl_s=600)  # the code waits at most 10 minutes to be shown once
    followups = TtlStore(ttl_s=1800)  # a follow-up visit ends after 30 idle minutes
    templates = Environment(
        loader=FileSystemLoader(PACKAGE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    for name, path in VENDOR.items():
        if not (settings.assets_dir / path).is_file():
            raise RuntimeError(
                f"browser asset {name} is missing at {settings.assets_dir / path}; "
                "run `make install` (it runs `npm ci` in web/)"
            )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.intake = Intake(
            settings.intake_url, timeout_s=settings.timeout_s, transport=intake_transport
        )
        app.state.intake_client = app.state.intake.client
        app.state.cases_client = httpx.AsyncClient(
            base_url=settings.cases_url, timeout=settings.timeout_s, transport=cases_transport
        )
        app.state.search_client = httpx.AsyncClient(
            base_url=settings.search_url, timeout=settings.timeout_s, transport=search_transport
        )
        app.state.http = httpx.AsyncClient(timeout=settings.timeout_s, transport=issuer_transport)
        app.state.analytics_client = httpx.AsyncClient(
            base_url=settings.analytics_url, timeout=settings.timeout_s,
            transport=analytics_transport,
        )  # fmt: skip
        try:
            yield
        finally:
            await app.state.intake.close()
            await app.state.cases_client.aclose()
            await app.state.search_client.aclose()
            await app.state.analytics_client.aclose()
            await app.state.http.aclose()

    app = FastAPI(
        title="ALAC web", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan
    )
    app.add_middleware(GZipMiddleware, minimum_size=500)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if not request.url.path.startswith("/static/"):
            # Pages can carry a receipt code or a complaint: never kept by a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=PACKAGE / "static"), name="static")

    def intake(request: Request) -> Intake:
        return request.app.state.intake

    def visitor(request: Request) -> str | None:
        # Passed on to intake for its per-address limits; the front end stores no address.
        return request.client.host if request.client else None

    def render(
        request: Request,
        template: str,
        lang: str,
        *,
        status: int = 200,
        explicit: bool = False,
        **context: Any,
    ) -> HTMLResponse:
        token, new_cookie = csrf.token_for(request)
        staff = context.get("staff")
        # The header's bell: the unread count read for this page (notifications.py).
        context.setdefault("bell", getattr(request.state, "bell", None))
        zone = zones.zone_for(getattr(staff, "tenant", None))
        page = templates.get_template(template).render(
            when=partial(times.local, zone=zone),
            t=partial(i18n.translate, lang),
            lang=lang,
            languages=i18n.LANGUAGES,
            path=context.pop("here", request.url.path),
            csrf_field=CSRF_FIELD,
            csrf_token=token,
            max_files=MAX_FILES,
            max_file_mb=f"{settings.attachment_max_bytes / 1_000_000:g}",
            **context,
        )
        response = HTMLResponse(page, status_code=status)
        csrf.set_cookie(response, new_cookie, secure=settings.secure_for(request.url.scheme))
        if explicit:
            response.set_cookie(
                i18n.COOKIE, lang, max_age=365 * 86400, samesite="lax",
                secure=settings.secure_for(request.url.scheme), httponly=True,
            )  # fmt: skip
        response.headers["Content-Language"] = lang
        return response

    def language(request: Request) -> tuple[str, bool]:
        return i18n.negotiate(request, settings.default_language)

    def unavailable(request: Request, lang: str) -> HTMLResponse:
        return render(
            request, "message.html", lang, status=503,
            title=i18n.translate(lang, "unavailable.title"),
            text=i18n.translate(lang, "unavailable.text"),
        )  # fmt: skip

    async def office_of(request: Request, tenant: str, office: str, lang: str) -> dict | None:
        offices = await intake(request).reference("public_offices", lang)
        return next((o for o in offices if o["code"] == office and o["parent"] == tenant), None)

    def too_large(request: Request) -> bool:
        """A body bigger than the files and text a form can carry is refused unread (the
        multipart parser would otherwise spool it to disk)."""
        length = request.headers.get("content-length", "")
        limit = MAX_FILES * (settings.attachment_max_bytes + 4096) + 200_000
        return length.isdigit() and int(length) > limit

    async def attach_all(
        request: Request, code: str, contents: list[tuple[str, bytes]], lang: str
    ) -> list[dict[str, Any]]:
        """Send the form's files to intake with the new receipt code, one by one. The
        complaint is filed already: a refused file is reported on the receipt page (it can
        be sent again on the follow-up page), never a reason to lose the complaint."""
        results: list[dict[str, Any]] = []
        for name, data in contents:
            try:
                await intake(request).attach(
                    code, name, data, lang=lang, forwarded_for=visitor(request)
                )
                results.append({"name": name, "ok": True, "reason": None})
            except (ApiProblem, httpx.HTTPError) as exc:
                status = exc.status if isinstance(exc, ApiProblem) else 503
                reason = i18n.translate(lang, FILE_REASONS.get(status, "file.reason.other"))
                results.append({"name": name, "ok": False, "reason": reason})
        return results

    # ------------------------------------------------------------------ pages

    @app.get("/healthz", include_in_schema=False)
    def healthz() -> PlainTextResponse:
        return PlainTextResponse("ok")

    @app.get("/vendor/{name}", include_in_schema=False)
    def vendor(name: str) -> Response:
        path = VENDOR.get(name)
        if path is None:
            return PlainTextResponse("not found", status_code=404)
        return FileResponse(
            settings.assets_dir / path,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/", response_class=HTMLResponse)
    async def home(request: Request) -> HTMLResponse:
        lang, explicit = language(request)
        try:
            offices = await intake(request).reference("public_offices", lang)
        except (ApiProblem, httpx.HTTPError):
            return unavailable(request, lang)
        return render(request, "home.html", lang, explicit=explicit, offices=offices)

    @app.get("/t/{tenant}/{office}/complaint", response_class=HTMLResponse)
    async def complaint_form(request: Request, tenant: str, office: str) -> HTMLResponse:
        lang, explicit = language(request)
        try:
            where = await office_of(request, tenant, office, lang)
            areas = await intake(request).reference("areas", lang)
        except (ApiProblem, httpx.HTTPError):
            return unavailable(request, lang)
        if where is None:
            return not_found(request, lang)
        return render(
            request, "complaint.html", lang, explicit=explicit, office=where, tenant=tenant,
            areas=areas, values={}, errors={},
        )  # fmt: skip

    @app.post("/t/{tenant}/{office}/complaint", response_class=HTMLResponse)
    async def complaint_submit(request: Request, tenant: str, office: str) -> Response:
        lang, _ = language(request)
        if too_large(request):
            return render(
                request, "message.html", lang, status=413,
                title=i18n.translate(lang, "error.field.files_many", count=MAX_FILES),
                text=i18n.translate(
                    lang, "hint.files", count=MAX_FILES,
                    size=f"{settings.attachment_max_bytes / 1_000_000:g}",
                ),
            )  # fmt: skip
        # The few files a form takes (and a margin: the count is checked below, in words).
        form = await request.form(max_files=MAX_FILES + 7)
        files = [f for f in form.getlist("files") if isinstance(f, UploadFile) and f.filename]
        values: dict[str, Any] = {name: str(form.get(name, "")).strip() for name in TEXT_FIELDS}
        values["area"] = str(form.get("area", ""))
        values["anonymous"] = form.get("anonymous") == "yes"
        values["safe_to_contact"] = form.get("safe_to_contact") == "yes"
        down = False
        try:
            where = await office_of(request, tenant, office, lang)
            areas = await intake(request).reference("areas", lang)
        except (ApiProblem, httpx.HTTPError):
            # Intake is unreachable: show the form again with what was typed (nothing lost).
            down, where = True, {"code": office, "label": office}
            areas = [{"code": values["area"], "label": values["area"]}] if values["area"] else []
        if where is None:
            return not_found(request, lang)

        def again(errors: dict[str, str], status: int, summary: str | None = None) -> Response:
            # The visitor's text is kept whatever went wrong: nobody types a complaint twice.
            return render(
                request, "complaint.html", lang, status=status, office=where, tenant=tenant,
                areas=areas, values=values, errors=errors, summary=summary,
            )  # fmt: skip

        if down:
            return again({}, 503, i18n.translate(lang, "unavailable.text"))
        if not csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return again({}, 400, i18n.translate(lang, "error.csrf"))
        # The files are checked for number and size before anything is filed, so the
        # visitor can choose others; their type is judged by intake from the bytes.
        if len(files) > MAX_FILES:
            return again(
                {"files": i18n.translate(lang, "error.field.files_many", count=MAX_FILES)},
                422, i18n.translate(lang, "error.summary"),
            )  # fmt: skip
        contents: list[tuple[str, bytes]] = []
        for upload in files:
            data = await upload.read(settings.attachment_max_bytes + 1)
            if len(data) > settings.attachment_max_bytes:
                reason = i18n.translate(
                    lang, "error.field.file_large", name=upload.filename,
                    size=f"{settings.attachment_max_bytes / 1_000_000:g}",
                )  # fmt: skip
                return again({"files": reason}, 422, i18n.translate(lang, "error.summary"))
            contents.append((str(upload.filename), data))
        payload = public_payload(tenant, office, lang, values)
        try:
            accepted = await intake(request).submit(
                payload, lang=lang, forwarded_for=visitor(request)
            )
        except httpx.HTTPError:
            return again({}, 503, i18n.translate(lang, "unavailable.text"))
        except ApiProblem as problem:
            if problem.status == 429:
                minutes = max(1, -(-(problem.retry_after_s or 60) // 60))
                return again({}, 429, i18n.translate(lang, "error.rate_limited", minutes=minutes))
            known = {
                k: v
                for k, v in problem.fields.items()
                if k in (*TEXT_FIELDS, "area", "anonymous", "contact")
            }
            if problem.status >= 500 or not known:
                return again({}, problem.status, i18n.translate(lang, "error.generic"))
            if "anonymous" in known:  # an anonymous complaint with contact: say it at the contact
                known.setdefault("contact", known.pop("anonymous"))
            # Intake names the field; where the form has plain words for what that field
            # needs, they replace the API's (pydantic's English is for developers).
            friendly = {
                name: i18n.catalogue(lang).get(f"error.field.{name}", reason)
                for name, reason in known.items()
            }
            if contents:  # a browser cannot fill a file input again: say so at the field
                friendly["files"] = i18n.translate(lang, "error.field.files_again")
            return again(friendly, 422, i18n.translate(lang, "error.summary"))
        attached = await attach_all(request, accepted["receipt_code"], contents, lang)
        key = receipts.put(
            {"code": accepted["receipt_code"], "office": where["label"], "files": attached}
        )
        response = RedirectResponse(
            f"/t/{quote(tenant)}/{quote(office)}/complaint/receipt", status_code=303
        )
        response.set_cookie(
            RECEIPT_COOKIE, key, max_age=600, httponly=True, samesite="lax",
            secure=settings.secure_for(request.url.scheme), path="/t/",
        )  # fmt: skip
        return response

    @app.get("/t/{tenant}/{office}/complaint/receipt", response_class=HTMLResponse)
    async def complaint_receipt(request: Request, tenant: str, office: str) -> HTMLResponse:
        lang, explicit = language(request)
        shown = receipts.pop(request.cookies.get(RECEIPT_COOKIE))
        response = render(
            request, "receipt.html", lang, explicit=explicit, receipt=shown, tenant=tenant,
            office_code=office,
        )  # fmt: skip
        response.delete_cookie(RECEIPT_COOKIE, path="/t/")
        return response

    # ------------------------------------------------------------------ follow-up

    async def followup_page(
        request: Request,
        lang: str,
        code: str,
        *,
        explicit: bool = False,
        errors: dict[str, str] | None = None,
        values: dict[str, str] | None = None,
        template: str = "followup.html",
        status: int = 200,
        notice: str | None = None,
    ) -> HTMLResponse:
        api = intake(request)
        state = await api.status(code, lang=lang, forwarded_for=visitor(request))
        messages = await api.messages(code, lang=lang, forwarded_for=visitor(request))
        return render(
            request, template, lang, explicit=explicit, status=status, state=state, here="/follow-up",
            messages=messages, errors=errors or {}, values=values or {}, notice=notice,
        )  # fmt: skip

    def forget(response: Response) -> Response:
        response.delete_cookie(FOLLOWUP_COOKIE, path="/follow-up")
        return response

    @app.get("/follow-up", response_class=HTMLResponse)
    async def followup(request: Request) -> Response:
        lang, explicit = language(request)
        code = followups.get(request.cookies.get(FOLLOWUP_COOKIE))
        if code is None:
            return render(request, "followup_code.html", lang, explicit=explicit, errors={})
        notice_key = request.query_params.get("done")
        notice = (
            i18n.translate(lang, f"followup.done.{notice_key}")
            if notice_key in ("sent", "withdrawn", "consent", "attached")
            else None
        )
        try:
            return await followup_page(request, lang, code, explicit=explicit, notice=notice)
        except httpx.HTTPError:
            return unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 404:  # the complaint is gone (erased): start again
                return forget(RedirectResponse("/follow-up", status_code=303))
            return unavailable(request, lang)

    @app.post("/follow-up", response_class=HTMLResponse)
    async def followup_code(request: Request) -> Response:
        lang, _ = language(request)
        form = await request.form()
        code = str(form.get("code", "")).strip().upper()

        def again(errors: dict[str, str], status: int) -> Response:
            return render(
                request, "followup_code.html", lang, status=status, errors=errors, here="/follow-up"
            )

        if not csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            return again({"form": i18n.translate(lang, "error.csrf")}, 400)
        if not code:
            return again({"code": i18n.translate(lang, "followup.code.missing")}, 422)
        try:
            await intake(request).status(code, lang=lang, forwarded_for=visitor(request))
        except httpx.HTTPError:
            return unavailable(request, lang)
        except ApiProblem as problem:
            if problem.status == 404:
                return again({"code": i18n.translate(lang, "followup.code.unknown")}, 422)
            if problem.status == 429:
                minutes = max(1, -(-(problem.retry_after_s or 900) // 60))
                return again(
                    {"code": i18n.translate(lang, "error.rate_limited", minutes=minutes)}, 429
                )
            return again({"form": i18n.translate(lang, "error.generic")}, problem.status)
        response = RedirectResponse("/follow-up", status_code=303)
        response.set_cookie(
            FOLLOWUP_COOKIE, followups.put(code), httponly=True, samesite="strict",
            secure=settings.secure_for(request.url.scheme), path="/follow-up",
        )  # fmt: skip
        return response

    @app.post("/follow-up/messages", response_class=HTMLResponse)
    async def followup_message(request: Request) -> Response:
        lang, _ = language(request)
        code = followups.get(request.cookies.get(FOLLOWUP_COOKIE))
        if code is None:
            if request.headers.get("hx-request") == "true":
                # htmx would swap a whole page into the conversation: ask for a navigation.
                return Response(status_code=204, headers={"HX-Redirect": "/follow-up"})
            return RedirectResponse("/follow-up", status_code=303)
        form = await request.form()
        body = str(form.get("body", "")).strip()
        partial_update = request.headers.get("hx-request") == "true"
        template = "_conversation.html" if partial_update else "followup.html"
        error: dict[str, str] = {}
        if not csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            error = {"body": i18n.translate(lang, "error.csrf")}
        elif not body:
            error = {"body": i18n.translate(lang, "followup.message.missing")}
        else:
            try:
                await intake(request).post_message(
                    code, body, lang=lang, forwarded_for=visitor(request)
                )
            except httpx.HTTPError:
                return unavailable(request, lang)
            except ApiProblem as problem:
                reason = problem.fields.get("body") or i18n.translate(lang, "error.generic")
                error = {"body": reason}
        try:
            if error:
                return await followup_page(
                    request, lang, code, errors=error, values={"body": body},
                    template=template, status=422,
                )  # fmt: skip
            if partial_update:
                return await followup_page(
                    request, lang, code, template=template,
                    notice=i18n.translate(lang, "followup.done.sent"),
                )  # fmt: skip
        except (ApiProblem, httpx.HTTPError):
            return unavailable(request, lang)
        return RedirectResponse("/follow-up?done=sent", status_code=303)

    @app.post("/follow-up/withdraw", response_class=HTMLResponse)
    async def followup_withdraw(request: Request) -> Response:
        lang, _ = language(request)
        code = followups.get(request.cookies.get(FOLLOWUP_COOKIE))
        if code is None:
            return RedirectResponse("/follow-up", status_code=303)
        form = await request.form()
        reason = str(form.get("reason", "")).strip() or None
        error: dict[str, str] = {}
        if not csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            error = {"withdraw": i18n.translate(lang, "error.csrf")}
        elif form.get("confirm") != "yes":
            error = {"withdraw": i18n.translate(lang, "followup.withdraw.confirm_missing")}
        else:
            try:
                await intake(request).withdraw(
                    code, reason, lang=lang, forwarded_for=visitor(request)
                )
            except httpx.HTTPError:
                return unavailable(request, lang)
            except ApiProblem as problem:
                error = {
                    "withdraw": i18n.translate(
                        lang,
                        "followup.withdraw.already" if problem.status == 409 else "error.generic",
                    )
                }
        if error:
            try:
                return await followup_page(
                    request, lang, code, errors=error, values={"reason": reason or ""},
                    status=422,
                )  # fmt: skip
            except (ApiProblem, httpx.HTTPError):
                return unavailable(request, lang)
        return RedirectResponse("/follow-up?done=withdrawn", status_code=303)

    @app.post("/follow-up/consent", response_class=HTMLResponse)
    async def followup_consent(request: Request) -> Response:
        """The answer to a consent request: a plain form (post/redirect/get), so it works with
        JavaScript off. A scope left unanswered keeps what intake has."""
        lang, _ = language(request)
        code = followups.get(request.cookies.get(FOLLOWUP_COOKIE))
        if code is None:
            return RedirectResponse("/follow-up", status_code=303)
        form = await request.form()
        answers = {
            scope: form.get(scope) == "yes"
            for scope in ("formal_action", "documents_to_authorities", "media")
            if form.get(scope) in ("yes", "no")
        }
        error: dict[str, str] = {}
        if not csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            error = {"consent": i18n.translate(lang, "error.csrf")}
        elif not answers:
            error = {"consent": i18n.translate(lang, "followup.consent.missing")}
        else:
            try:
                await intake(request).consent(
                    code, answers, lang=lang, forwarded_for=visitor(request)
                )
            except httpx.HTTPError:
                return unavailable(request, lang)
            except ApiProblem as problem:
                # 409 (anonymous or withdrawn) comes in plain words in the visitor's language.
                reason = problem.detail if problem.status == 409 else None
                error = {"consent": reason or i18n.translate(lang, "error.generic")}
        if error:
            try:
                return await followup_page(request, lang, code, errors=error, status=422)
            except (ApiProblem, httpx.HTTPError):
                return unavailable(request, lang)
        return RedirectResponse("/follow-up?done=consent", status_code=303)

    @app.post("/follow-up/attachments", response_class=HTMLResponse)
    async def followup_attach(request: Request) -> Response:
        """One file for the complaint, with the code kept for this visit (multipart form,
        post/redirect/get: works without JavaScript)."""
        lang, _ = language(request)
        code = followups.get(request.cookies.get(FOLLOWUP_COOKIE))
        if code is None:
            return RedirectResponse("/follow-up", status_code=303)
        if too_large(request):
            return await followup_page(
                request, lang, code, status=413,
                errors={"file": i18n.translate(lang, "file.reason.size")},
            )  # fmt: skip
        form = await request.form(max_files=2)
        upload = form.get("file")
        error: dict[str, str] = {}
        if not csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            error = {"file": i18n.translate(lang, "error.csrf")}
        elif not isinstance(upload, UploadFile) or not upload.filename:
            error = {"file": i18n.translate(lang, "error.field.file_missing")}
        else:
            data = await upload.read(settings.attachment_max_bytes + 1)
            if len(data) > settings.attachment_max_bytes:
                error = {"file": i18n.translate(lang, "file.reason.size")}
            else:
                (result,) = await attach_all(request, code, [(str(upload.filename), data)], lang)
                if not result["ok"]:
                    error = {"file": result["reason"]}
        if error:
            try:
                return await followup_page(request, lang, code, errors=error, status=422)
            except (ApiProblem, httpx.HTTPError):
                return unavailable(request, lang)
        return RedirectResponse("/follow-up?done=attached", status_code=303)

    @app.post("/follow-up/leave")
    async def followup_leave(request: Request) -> Response:
        form = await request.form()
        if csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            followups.pop(request.cookies.get(FOLLOWUP_COOKIE))
        return forget(RedirectResponse("/follow-up", status_code=303))

    def not_found(request: Request, lang: str) -> HTMLResponse:
        return render(
            request, "message.html", lang, status=404,
            title=i18n.translate(lang, "notfound.title"),
            text=i18n.translate(lang, "notfound.text"),
        )  # fmt: skip

    def message(
        request: Request,
        lang: str,
        key: str,
        *,
        status: int = 200,
        text: str | None = None,
        link: tuple[str, str] | None = None,
    ) -> HTMLResponse:
        """A page with one message: `key`.title and `key`.text from the catalogue."""
        return render(
            request, "message.html", lang, status=status,
            title=i18n.translate(lang, f"{key}.title"),
            text=text or i18n.translate(lang, f"{key}.text"),
            link=(link[0], i18n.translate(lang, link[1])) if link else None,
        )  # fmt: skip

    ui = SimpleNamespace(
        settings=settings, render=render, language=language, csrf=csrf,
        unavailable=unavailable, message=message, zones=zones,
    )  # fmt: skip
    console = install_staff(app, ui)
    install_zones(app, console, zones)
    install_case_page(app, console)
    install_search(app, console)
    install_notifications(app, ui, console)
    install_offline(app)
    # The coordinator dashboard, alerts, advocacy and the network view (alac_web/dashboard*).
    install_dashboard(app, ui, console)
    return app


def public_payload(tenant: str, office: str, lang: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body of intake's `POST /v1/public/complaints` from the form's values. Empty fields
    are left out rather than sent empty, so intake's errors are about what the visitor wrote."""
    payload: dict[str, Any] = {
        "tenant": tenant,
        "office": office,
        "crux": values["crux"],
        "anonymous": values["anonymous"],
        "preferred_language": lang,
    }
    if values["help_requested"]:
        payload["help_requested"] = values["help_requested"]
    if values["area"]:
        payload["area"] = values["area"]
    contact = {k: values[k] for k in ("name", "phone", "email") if values[k]}
    if contact:
        # Sent even with `anonymous`, so intake says why that cannot be (next to the contact).
        payload["contact"] = contact
        payload["safe_to_contact"] = values["safe_to_contact"]
    return payload
