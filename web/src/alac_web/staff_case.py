"""The case page of the staff console and its forms: transitions, messages with the
complainant, the audited "show contact" step, letters of support (preview, issue, PDF),
deadlines and referrals. Every form posts to the cases or intake API with the user's token;
what a role may do is the API's decision, the page only leaves out what it would refuse."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from alac_web import i18n
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.intake import ApiProblem
from alac_web.staff import Console

# The consent scopes of cases (alac_cases.consent.service.SCOPES), in the order shown.
CONSENT_SCOPES = ("formal_action", "documents_to_authorities", "media", "referral", "share_contact")
LETTER_FIELDS = ("language", "authority", "facts", "legal_assessment", "request")
REFERRAL_SHARES = ("crux", "area", "contact")
# Roles that may read the contact (intake's vault: lawyers and coordinators). The button is
# left out for the others; intake refuses them anyway (403).
CONTACT_ROLES = ("lawyer", "coordinator")


def timeline_of(
    history: dict[str, Any], consents: list[dict[str, Any]], actions: list[dict[str, Any]],
    letters: list[dict[str, Any]] | None = None, referrals: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Status changes, consent versions, actions, letters, referrals and messages of a case
    in one list, oldest first (each as the API gives it, with `kind` and `at` added)."""
    entries = [
        {**h, "kind": "status", "at": h["changed_at"]} for h in history.get("status_changes", [])
    ]
    entries += [{**c, "kind": "consent", "at": c["recorded_at"]} for c in consents]
    entries += [{**a, "kind": "action", "at": a["occurred_at"]} for a in actions]
    entries += [{**x, "kind": "letter", "at": x["created_at"]} for x in letters or []]
    entries += [{**r, "kind": "referral", "at": r["referred_at"]} for r in referrals or []]
    entries += [{**m, "kind": "message", "at": m["posted_at"]} for m in messages or []]
    return sorted(entries, key=lambda e: e["at"])


def install_case_page(app: FastAPI, console: Console) -> None:
    ui = console.ui
    call, guarded, page = console.call, console.guarded, console.page

    def case_url(case_id: str, anchor: str = "") -> str:
        return f"/staff/cases/{quote(case_id)}" + (f"#{anchor}" if anchor else "")

    async def load(request: Request, session: Any, case_id: str, lang: str) -> dict[str, Any]:
        """Everything the page shows, the calls made side by side (the page's time is the
        slowest call, not the sum)."""
        base = f"/v1/cases/{quote(case_id)}"
        case, history = await asyncio.gather(
            call(request, "cases", "GET", base, session, lang),
            call(request, "cases", "GET", f"{base}/history", session, lang),
        )
        intake = request.app.state.intake

        def readable(path: str, service: str = "cases") -> Any:
            return console.readable(request, session, lang, service, path)

        (messages, consents, actions, deadlines, letters, referrals, rules,
         outcomes, channels, areas) = await asyncio.gather(
            readable(f"/v1/complaints/{quote(case['complaint_id'])}/messages", "intake"),
            readable(f"{base}/consents"), readable(f"{base}/actions"),
            readable(f"{base}/deadlines"), readable(f"{base}/letters"),
            readable(f"{base}/referrals"), readable("/v1/deadline-rules"),
            intake.reference("outcomes", lang), intake.reference("channels", lang),
            intake.reference("areas", lang),
        )  # fmt: skip
        return {
            "case": case, "history": history, "messages": messages, "consents": consents,
            "actions": actions, "deadlines": deadlines, "letters": letters,
            "referrals": referrals, "rules": rules, "outcomes": outcomes,
            "channels": {c["code"]: c["label"] for c in channels},
            "areas": {a["code"]: a["label"] for a in areas},
            "timeline": timeline_of(history, consents or [], actions or [], letters,
                                    referrals, messages),
        }  # fmt: skip

    async def case_page(
        request: Request, session: Any, case_id: str, lang: str, *,
        errors: dict[str, str] | None = None, values: dict[str, Any] | None = None,
        summary: str | None = None, status: int = 200, notice: str | None = None,
        form: str | None = None, **extra: Any,
    ) -> Response:  # fmt: skip
        """The page; `form` names the form `errors`, `values` and `summary` belong to, so
        they are shown next to that form."""
        data = await guarded(request, lang, load(request, session, case_id, lang),
                             back=case_url(case_id))  # fmt: skip
        if isinstance(data, Response):
            return data
        return page(
            request, "staff_case.html", session, errors=errors or {}, values=values or {},
            summary=summary, form=form, notice=notice, status=status,
            consent_scopes=CONSENT_SCOPES, shares=REFERRAL_SHARES,
            may_see_contact=session.has(*CONTACT_ROLES), today=date.today().isoformat(),
            **data, **extra,
        )  # fmt: skip

    def posted(case_id: str, done: str, anchor: str) -> Response:
        return RedirectResponse(f"/staff/cases/{quote(case_id)}?done={done}#{anchor}", 303)

    async def form_post(
        request: Request, case_id: str, form_name: str, names: tuple[str, ...],
    ) -> tuple[Any, str, dict[str, Any], Response | None]:  # fmt: skip
        """(session, lang, values, early answer): the shape every case form starts with.
        A session that expired while typing goes to the sign-in with the values kept and
        comes back to this case page filled in; a failed CSRF check shows them again."""
        session, lang = console.signed_in(request)
        form = await request.form()
        values: dict[str, Any] = {k: str(form.get(k, "")).strip() for k in names}
        values["lists"] = {k: form.getlist(k) for k in ("share",)}
        if session is None:
            stash = {"values": values, "form": form_name}
            return None, lang, values, console.to_login(request, stash, case_url(case_id))
        if not ui.csrf.valid(request, str(form.get(CSRF_FIELD, ""))):
            answer = await case_page(request, session, case_id, lang, values=values, status=400,
                                     form=form_name, summary=i18n.translate(lang, "error.csrf"))  # fmt: skip
            return session, lang, values, answer
        return session, lang, values, None

    def refused_on(
        request: Request, session: Any, case_id: str, lang: str, form_name: str,
        values: dict[str, Any], fields: tuple[str, ...],
    ) -> Any:  # fmt: skip
        """A problem from the API shown next to the form it came from."""

        async def refused(problem: ApiProblem) -> Response:
            errors = {k: v for k, v in problem.fields.items() if k in fields}
            summary = (
                i18n.translate(lang, "error.summary") if errors
                else console.problem_text(lang, problem)
            )  # fmt: skip
            return await case_page(request, session, case_id, lang, errors=errors, form=form_name,
                                   values=values, summary=summary, status=problem.status)  # fmt: skip

        return refused

    # ------------------------------------------------------------------ the page

    @app.get("/staff/cases/{case_id}", response_class=HTMLResponse)
    async def case_view(request: Request, case_id: str) -> Response:
        session, lang = console.signed_in(request)
        if session is None:
            return console.to_login(request)
        done = request.query_params.get("done") or (
            "moved" if request.query_params.get("moved") else ""
        )
        key = "staff.case.moved" if done == "moved" else f"staff.case.done.{done}"
        notice = i18n.translate(lang, key) if done in DONE else None
        draft = console.draft_for(request, case_url(case_id))
        if draft:
            return await case_page(request, session, case_id, lang, values=draft["values"],
                                   form=draft.get("form"),
                                   notice=i18n.translate(lang, "staff.entry.restored"))  # fmt: skip
        return await case_page(request, session, case_id, lang, notice=notice)

    @app.post("/staff/cases/{case_id}/transition", response_class=HTMLResponse)
    async def case_transition(request: Request, case_id: str) -> Response:
        session, lang, values, early = await form_post(
            request, case_id, "move", ("to_status", "reason", "outcome", "version")
        )
        if early:
            return early
        body: dict[str, Any] = {"to_status": values["to_status"], "reason": values["reason"]}
        if values["outcome"] and values["to_status"] == "closed":
            body["outcome"] = values["outcome"]
        if values["version"].isdigit():
            body["version"] = int(values["version"])
        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/transitions",
                 session, lang, json=body),
            on_problem=refused_on(request, session, case_id, lang, "move", values,
                                  ("to_status", "reason", "outcome")),
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "moved", "move-title")

    @app.post("/staff/cases/{case_id}/messages", response_class=HTMLResponse)
    async def case_message(request: Request, case_id: str) -> Response:
        """Write to the complainant: what they read on the follow-up page."""
        session, lang, values, early = await form_post(request, case_id, "message", ("message",))
        if early:
            return early
        if not values["message"]:
            missing = {"message": i18n.translate(lang, "followup.message.missing")}
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, form="message",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip

        async def send() -> None:
            case = await call(request, "cases", "GET", f"/v1/cases/{quote(case_id)}", session, lang)
            await call(request, "intake", "POST",
                       f"/v1/complaints/{quote(case['complaint_id'])}/messages", session, lang,
                       json={"body": values["message"]})  # fmt: skip

        done = await guarded(request, lang, send(), on_problem=refused_on(
            request, session, case_id, lang, "message", values, ()))  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "sent", "messages")

    @app.post("/staff/cases/{case_id}/contact", response_class=HTMLResponse)
    async def show_contact(request: Request, case_id: str) -> Response:
        """The complainant's contact, on an explicit click: intake writes every read to its
        audit table. Shown on this one answer only (never kept by the front end, and the
        page is no-store), so a reload does not show it again without another audited read."""
        session, lang, values, early = await form_post(request, case_id, "contact", ())
        if early:
            return early

        async def read() -> dict[str, Any]:
            case = await call(request, "cases", "GET", f"/v1/cases/{quote(case_id)}", session, lang)
            return await call(request, "intake", "GET",
                              f"/v1/complaints/{quote(case['complaint_id'])}/contact",
                              session, lang)  # fmt: skip

        contact = await guarded(request, lang, read(), on_problem=refused_on(
            request, session, case_id, lang, "contact", values, ()))  # fmt: skip
        if isinstance(contact, Response):
            return contact
        return await case_page(request, session, case_id, lang, contact=contact)

    @app.post("/staff/cases/{case_id}/letters", response_class=HTMLResponse)
    async def letter(request: Request, case_id: str) -> Response:
        """Preview (nothing sent: the letter as it will read) or issue (cases writes the PDF
        and records the action)."""
        session, lang, values, early = await form_post(
            request, case_id, "letter", (*LETTER_FIELDS, "version", "step")
        )
        if early:
            return early
        missing = {
            k: i18n.translate(lang, "staff.letter.missing") for k in LETTER_FIELDS if not values[k]
        }
        if missing:
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, form="letter",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip
        if values["step"] != "issue":
            return await case_page(request, session, case_id, lang, values=values, form="letter",
                                   letter_preview=True)  # fmt: skip
        body: dict[str, Any] = {k: values[k] for k in LETTER_FIELDS}
        if values["version"].isdigit():
            body["version"] = int(values["version"])
        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/letters", session, lang,
                 json=body),
            on_problem=refused_on(request, session, case_id, lang, "letter", values, LETTER_FIELDS),
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "letter", "letters")

    @app.get("/staff/cases/{case_id}/letters/{letter_id}.pdf")
    async def letter_pdf(request: Request, case_id: str, letter_id: str) -> Response:
        """The PDF through the front end (the browser holds no token); cases audits the read."""
        session, lang = console.signed_in(request)
        if session is None:
            return console.to_login(request, target=case_url(case_id))
        answer = await guarded(
            request, lang,
            call(request, "cases", "GET",
                 f"/v1/cases/{quote(case_id)}/letters/{quote(letter_id)}.pdf",
                 session, lang, raw=True, headers={"Accept": "application/pdf"}),
        )  # fmt: skip
        if isinstance(answer, Response):
            return answer
        return Response(
            answer.content, media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="letter-{letter_id[:8]}.pdf"'},
        )  # fmt: skip

    @app.post("/staff/cases/{case_id}/deadlines", response_class=HTMLResponse)
    async def deadline(request: Request, case_id: str) -> Response:
        session, lang, values, early = await form_post(
            request, case_id, "deadline", ("rule", "starts_on", "due_on")
        )
        if early:
            return early
        body = {k: values[k] for k in ("rule", "starts_on", "due_on") if values[k]}
        if not body.get("rule") and not body.get("due_on"):
            missing = {"due_on": i18n.translate(lang, "staff.deadline.missing")}
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, form="deadline",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip
        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/deadlines", session,
                 lang, json=body),
            on_problem=refused_on(request, session, case_id, lang, "deadline", values,
                                  ("rule", "starts_on", "due_on")),
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "deadline", "deadlines")

    @app.post("/staff/cases/{case_id}/deadlines/{deadline_id}/met", response_class=HTMLResponse)
    async def deadline_met(request: Request, case_id: str, deadline_id: str) -> Response:
        session, lang, values, early = await form_post(request, case_id, "deadline", ())
        if early:
            return early
        done = await guarded(
            request, lang,
            call(request, "cases", "POST",
                 f"/v1/cases/{quote(case_id)}/deadlines/{quote(deadline_id)}/met", session, lang),
            on_problem=refused_on(request, session, case_id, lang, "deadline", values, ()),
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "met", "deadlines")

    @app.post("/staff/cases/{case_id}/referrals", response_class=HTMLResponse)
    async def referral(request: Request, case_id: str) -> Response:
        session, lang, values, early = await form_post(
            request, case_id, "referral", ("to_tenant", "note", "version")
        )
        if early:
            return early
        shares = [s for s in values["lists"]["share"] if s in REFERRAL_SHARES]
        if not values["to_tenant"]:
            missing = {"to_tenant": i18n.translate(lang, "staff.referral.missing")}
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, form="referral",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip
        body: dict[str, Any] = {"to_tenant": values["to_tenant"], "share": shares}
        if values["note"]:
            body["note"] = values["note"]
        if values["version"].isdigit():
            body["version"] = int(values["version"])
        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/referrals", session,
                 lang, json=body),
            on_problem=refused_on(request, session, case_id, lang, "referral", values,
                                  ("to_tenant", "share", "note")),
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "referral", "referrals")


# Notices after a form was done (?done=...), from the catalogue's staff.case.done.*.
DONE = ("moved", "sent", "letter", "deadline", "met", "referral")
