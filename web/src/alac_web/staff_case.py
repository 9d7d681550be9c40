"""The case page of the staff console and its forms: transitions, messages with the
complainant, the audited "show contact" step, letters of support (preview, issue, PDF),
deadlines and referrals. Every form posts to the cases or intake API with the user's token;
what a role may do is the API's decision, the page only leaves out what it would refuse."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, time
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from alac_web import i18n, roles
from alac_web.csrf import FIELD as CSRF_FIELD
from alac_web.intake import ApiProblem
from alac_web.people import named_in, namer
from alac_web.staff import Console

# The consent scopes of cases (alac_cases.consent.service.SCOPES), in the order shown.
CONSENT_SCOPES = ("formal_action", "documents_to_authorities", "media", "referral", "share_contact")
LETTER_FIELDS = ("language", "authority", "facts", "legal_assessment", "request")
REFERRAL_SHARES = ("crux", "area", "contact")
# The parts of cases' case file (`GET /v1/cases/{id}/file`) the page shows as they come; each is
# None when the user's role may not read it, as its own endpoint would answer 403.
FILE_PARTS = ("consents", "actions", "deadlines", "letters", "referrals", "notes")
# Actions a page can record (referrals and letters have their own forms), and the details each
# type takes (cases' ActionIn: the form's field -> the API's field).
ACTION_TYPES = (
    "meeting",
    "advice",
    "complaint_drafted",
    "authority_response",
    "court_stage",
    "other",
)
ACTION_DETAILS = {
    "meeting": {"act_with": "with_whom", "act_place": "place"},
    "authority_response": {"act_authority": "authority", "act_received_on": "received_on",
                           "act_decision": "decision"},
    "court_stage": {"act_court_instance": "court_instance", "act_court": "court",
                    "act_hearing_date": "hearing_date", "act_court_decision": "decision"},
}  # fmt: skip
# Details a type cannot go without (cases refuses them missing; said here in the user's words).
ACTION_REQUIRED = {
    "meeting": ("act_with",),
    "authority_response": ("act_authority", "act_received_on", "act_decision"),
    "court_stage": ("act_court_instance", "act_court", "act_hearing_date"),
}
AUTHORITY_DECISIONS = ("granted", "partly_granted", "refused", "forwarded", "other")
COURT_INSTANCES = ("first_instance", "appeal", "cassation", "supervisory")
ACTION_FIELDS = (
    "act_type",
    "act_summary",
    "act_on",
    *sorted({f for details in ACTION_DETAILS.values() for f in details}),
)
# How a consent reaches the lawyer (cases' ConsentIn.how_given; "web" is the follow-up page's).
CONSENT_HOW = ("signed_form", "in_person", "phone", "email")
# The action form, the contact button and the letter form are left out for the roles the
# APIs would refuse (403) anyway (alac_web.roles).


def timeline_of(
    history: dict[str, Any], consents: list[dict[str, Any]], actions: list[dict[str, Any]],
    letters: list[dict[str, Any]] | None = None, referrals: list[dict[str, Any]] | None = None,
    messages: list[dict[str, Any]] | None = None, notes: list[dict[str, Any]] | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """Status changes, assignments, consent versions, actions, letters, referrals, messages
    and internal notes of a case
    in one list, oldest first (each as the API gives it, with `kind` and `at` added)."""
    entries = [
        {**h, "kind": "status", "at": h["changed_at"]} for h in history.get("status_changes", [])
    ]
    entries += [{**c, "kind": "consent", "at": c["recorded_at"]} for c in consents]
    entries += [{**a, "kind": "action", "at": a["occurred_at"]} for a in actions]
    entries += [{**x, "kind": "letter", "at": x["created_at"]} for x in letters or []]
    entries += [{**r, "kind": "referral", "at": r["referred_at"]} for r in referrals or []]
    entries += [{**m, "kind": "message", "at": m["posted_at"]} for m in messages or []]
    entries += [{**n, "kind": "note", "at": n["written_at"]} for n in notes or []]
    entries += [
        {**a, "kind": "assignment", "at": a["assigned_at"]} for a in history.get("assignments", [])
    ]
    return sorted(entries, key=lambda e: e["at"])


def consent_gate(lang: str, problem: ApiProblem) -> str | None:
    """Cases' consent gate (409 with `missing_consent`) in the user's language: which consent
    is missing, or that an anonymous complaint allows advice only. None for other problems."""
    missing = problem.body.get("missing_consent")
    if problem.status != 409 or missing is None:
        return None
    if "anonymous" in str(problem.body.get("title", "")).lower():
        return i18n.translate(lang, "staff.gate.anonymous")
    labels = ", ".join(i18n.translate(lang, f"staff.consent.scope.{s}") for s in missing)
    return i18n.translate(lang, "staff.gate.missing", scopes=labels)


async def all_of(*calls: Any) -> list[Any]:
    """asyncio.gather, but the first failure (e.g. the case is not found: 404) cancels the
    calls still running instead of leaving them to finish unseen."""
    tasks = [asyncio.ensure_future(c) for c in calls]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def install_case_page(app: FastAPI, console: Console) -> None:
    ui = console.ui
    call, guarded, page = console.call, console.guarded, console.page

    def case_url(case_id: str, anchor: str = "") -> str:
        return f"/staff/cases/{quote(case_id)}" + (f"#{anchor}" if anchor else "")

    async def load(request: Request, session: Any, case_id: str, lang: str) -> dict[str, Any]:
        """Everything the page shows: the case file from cases in one read (the case, its
        history, consents, actions, deadlines, letters, referrals, notes and the deadline
        rules: one token check, one transaction, one commit; docs/performance.md figure set
        6), side by side with the reference lists and the staff registry; only the
        complainant's messages wait, for the case's complaint id."""
        intake = request.app.state.intake
        file_call = asyncio.ensure_future(
            call(request, "cases", "GET", f"/v1/cases/{quote(case_id)}/file", session, lang)
        )

        async def messages_of_case() -> Any:
            complaint_id = (await file_call)["case"]["complaint_id"]
            return await console.readable(request, session, lang, "intake",
                                          f"/v1/complaints/{quote(complaint_id)}/messages")  # fmt: skip

        (file, messages, outcomes, channels, areas, registry) = await all_of(
            file_call, messages_of_case(),
            intake.reference("outcomes", lang), intake.reference("channels", lang),
            intake.reference("areas", lang), console.registry(request, session, lang),
        )  # fmt: skip
        who = namer(lang, session, registry)
        # intake names the staff author of each message (a volunteer, who may not read the
        # registry, sees it too); the registry's name, or "you", where intake knows none
        for m in messages or []:
            m["by"] = named_in(m, "author") or who(m["author"]) if m.get("author") else None
        history = file["history"]
        if history is None:  # a role without the history is refused the page, as before
            raise ApiProblem(403, "history.read")
        parts = {name: file[name] for name in FILE_PARTS}
        return {
            "case": file["case"], "history": history, "messages": messages,
            "rules": file["deadline_rules"], "outcomes": outcomes, **parts,
            "who": who,
            "channels": {c["code"]: c["label"] for c in channels},
            "areas": {a["code"]: a["label"] for a in areas},
            "timeline": timeline_of(history, parts["consents"] or [], parts["actions"] or [],
                                    parts["letters"], parts["referrals"], messages,
                                    parts["notes"]),
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
            consent_scopes=CONSENT_SCOPES, shares=REFERRAL_SHARES, consent_how=CONSENT_HOW,
            action_types=ACTION_TYPES, action_required=ACTION_REQUIRED,
            authority_decisions=AUTHORITY_DECISIONS, court_instances=COURT_INSTANCES,
            may_see_contact=session.has(*roles.CONTACT_ROLES),
            may_act=session.has(*roles.ACTION_ROLES),
            may_write_letter=session.has(*roles.LETTER_ROLES),
            today=datetime.now(ui.zones.zone_for(session.tenant)).date().isoformat(),
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
        values["lists"] = {k: form.getlist(k) for k in ("share", "act_involves", "scopes")}
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
                else consent_gate(lang, problem) or console.problem_text(lang, problem)
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

    @app.post("/staff/cases/{case_id}/actions", response_class=HTMLResponse)
    async def action(request: Request, case_id: str) -> Response:
        """Record what was done (cases checks the consent an action needs and answers 409
        naming the missing consent: said next to this form in the user's language)."""
        session, lang, values, early = await form_post(
            request, case_id, "action", (*ACTION_FIELDS, "version")
        )
        if early:
            return early
        kind = values["act_type"]
        missing = {
            k: i18n.translate(lang, "staff.action.missing")
            for k in ("act_type", "act_summary", *ACTION_REQUIRED.get(kind, ()))
            if not values[k] or (k == "act_type" and kind not in ACTION_TYPES)
        }
        if missing:
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, form="action",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip
        body: dict[str, Any] = {"action_type": kind, "summary": values["act_summary"],
                                "involves": [s for s in values["lists"]["act_involves"]
                                             if s in CONSENT_SCOPES]}  # fmt: skip
        if values["act_on"]:
            try:  # a day in the past: noon of that day in the tenant's zone
                day = date.fromisoformat(values["act_on"])
            except ValueError:
                errors = {"act_on": i18n.translate(lang, "staff.action.bad_date")}
                return await case_page(request, session, case_id, lang, values=values,
                                       status=422, errors=errors, form="action",
                                       summary=i18n.translate(lang, "error.summary"))  # fmt: skip
            zone = ui.zones.zone_for(session.tenant)
            if day < datetime.now(zone).date():
                body["occurred_at"] = datetime.combine(day, time(12), zone).isoformat()
        details = {api: values[f] for f, api in ACTION_DETAILS.get(kind, {}).items() if values[f]}
        if details:
            body[kind] = details
        if values["version"].isdigit():
            body["version"] = int(values["version"])
        api_fields = {"action_type": "act_type", "summary": "act_summary", "occurred_at": "act_on"}

        async def refused(problem: ApiProblem) -> Response:
            problem.fields = {api_fields.get(k, k): v for k, v in problem.fields.items()}
            return await refused_on(request, session, case_id, lang, "action", values,
                                    ACTION_FIELDS)(problem)  # fmt: skip

        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/actions", session, lang,
                 json=body),
            on_problem=refused,
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "action", "actions")

    @app.post("/staff/cases/{case_id}/consents", response_class=HTMLResponse)
    async def consent(request: Request, case_id: str) -> Response:
        """A new consent version as the complainant gave it to the lawyer (signed form, in
        person, phone, e-mail), or its withdrawal."""
        session, lang, values, early = await form_post(
            request, case_id, "consent", ("how_given", "consent_note", "withdrawn", "version")
        )
        if early:
            return early
        if values["how_given"] not in CONSENT_HOW:
            errors = {"how_given": i18n.translate(lang, "staff.consent.how_missing")}
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=errors, form="consent",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip
        withdrawn = values["withdrawn"] == "yes"
        body: dict[str, Any] = {
            "scopes": [] if withdrawn else
            [s for s in CONSENT_SCOPES if s in values["lists"]["scopes"]],
            "withdrawn": withdrawn, "how_given": values["how_given"],
        }  # fmt: skip
        if values["consent_note"]:
            body["note"] = values["consent_note"]
        if values["version"].isdigit():
            body["version"] = int(values["version"])

        async def refused(problem: ApiProblem) -> Response:
            problem.fields = {"consent_note" if k == "note" else k: v
                              for k, v in problem.fields.items()}  # fmt: skip
            return await refused_on(request, session, case_id, lang, "consent", values,
                                    ("how_given", "consent_note", "scopes"))(problem)  # fmt: skip

        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/consents", session,
                 lang, json=body),
            on_problem=refused,
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "consent", "consent-record")

    @app.post("/staff/cases/{case_id}/notes", response_class=HTMLResponse)
    async def note(request: Request, case_id: str) -> Response:
        """An internal note: staff only, never shown to the complainant, never in events."""
        session, lang, values, early = await form_post(request, case_id, "note", ("note_text",))
        if early:
            return early
        if not values["note_text"]:
            missing = {"note_text": i18n.translate(lang, "staff.note.missing")}
            return await case_page(request, session, case_id, lang, values=values, status=422,
                                   errors=missing, form="note",
                                   summary=i18n.translate(lang, "error.summary"))  # fmt: skip

        async def refused(problem: ApiProblem) -> Response:
            problem.fields = {"note_text" if k == "text" else k: v
                              for k, v in problem.fields.items()}  # fmt: skip
            return await refused_on(request, session, case_id, lang, "note", values,
                                    ("note_text",))(problem)  # fmt: skip

        done = await guarded(
            request, lang,
            call(request, "cases", "POST", f"/v1/cases/{quote(case_id)}/notes", session, lang,
                 json={"text": values["note_text"]}),
            on_problem=refused,
        )  # fmt: skip
        return done if isinstance(done, Response) else posted(case_id, "note", "notes")


# Notices after a form was done (?done=...), from the catalogue's staff.case.done.*.
DONE = ("moved", "sent", "letter", "deadline", "met", "referral", "action", "consent", "note")
