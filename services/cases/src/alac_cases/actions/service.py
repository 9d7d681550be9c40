"""Recording actions on a case (consent-gated) and internal notes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from alac_cases.actions.models import Action, Note
from alac_cases.case.commands import Recorded, change_case, loaded, records_reader, rows_of_case
from alac_cases.case.events import emit
from alac_cases.case.models import Case
from alac_cases.consent import service as consent
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import Conflict, InvalidFields
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime

ACTION_TYPES = (
    "letter_of_support",
    "meeting",
    "referral",
    "authority_response",
    "court_stage",
    "advice",
    "complaint_drafted",
    "other",
)

# What an action type always does on the client's behalf, i.e. the consent it needs. An action
# can declare more with `involves` (e.g. an `other` action that talks to the media).
REQUIRED_SCOPES: dict[str, tuple[str, ...]] = {
    "letter_of_support": ("documents_to_authorities",),
    "complaint_drafted": ("formal_action",),
    "referral": ("referral",),
}

# An anonymous complainant gets a legal assessment and advice (a meeting is how advice is
# given), nothing on their behalf.
ANONYMOUS_ALLOWED = frozenset({"advice", "meeting"})

# Types recorded through their own use case, never as a plain action: the path to use.
OWN_ENDPOINT = {
    "referral": "use POST /v1/cases/{case_id}/referrals",
    "letter_of_support": "use POST /v1/cases/{case_id}/letters",
}
# The details field of each action type; a meeting's are optional (a quick call with the
# client is a meeting too), an authority response and a court stage need theirs.
DETAILS_OF = ("meeting", "authority_response", "court_stage")


def record(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    principal: Principal,
    action_type: str,
    summary: str,
    occurred_at: datetime,
    involves: list[str] | None = None,
    to_tenant: str | None = None,
    details: dict | None = None,
) -> Action:
    if case.status == "closed":
        raise Conflict("The case is closed; reopen it to record actions.", allowed=[])
    scopes = set(REQUIRED_SCOPES.get(action_type, ())) | set(involves or ())
    if case.anonymous and (action_type not in ANONYMOUS_ALLOWED or scopes):
        raise Conflict(
            f"An anonymous complaint allows a legal assessment and advice only, not {action_type}.",
            title="Not possible for an anonymous complaint",
            allowed_action_types=sorted(ANONYMOUS_ALLOWED),
            missing_consent=sorted(scopes),
        )
    consent_version = consent.require(
        session=session, case=case, scopes=scopes, doing=f"the action {action_type}"
    )
    action = Action(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        action_type=action_type,
        summary=summary,
        occurred_at=occurred_at,
        consent_version=consent_version,
        to_tenant=to_tenant,
        recorded_by=principal.subject,
        recorded_at=utcnow(),
        details=details,
    )
    session.add(action)
    emit(
        session=session,
        outbox=outbox,
        case=case,
        type="case.action_recorded",
        data={
            "action_id": action.id,
            "action_type": action_type,
            "occurred_at": occurred_at.isoformat(),
        },
    )
    return action


def list_actions(*, session: Session, case_id: str) -> list[Action]:
    return rows_of_case(
        session=session, model=Action, case_id=case_id, order_by=[Action.occurred_at]
    )


def add_note(*, session: Session, case: Case, principal: Principal, text: str) -> Note:
    note = Note(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        text=text,
        author=principal.subject,
        written_at=utcnow(),
    )
    session.add(note)
    session.flush()
    return note


def list_notes(*, session: Session, case_id: str) -> list[Note]:
    return rows_of_case(session=session, model=Note, case_id=case_id, order_by=[Note.written_at])


# ---------------------------------------------------------------------- use cases


def record_action(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    expected: int,
    action_type: str,
    summary: str,
    occurred_at: datetime | None = None,
    involves: list[str] | None = None,
    details: dict[str, dict | None] | None = None,
) -> Recorded[Action]:
    """Record what was done on a case. `details` holds the details field of each type given
    (`{"court_stage": {...}}`); only the action's own type may have one."""
    occurred_at = occurred_at or utcnow()
    # Actions are records of what happened; a date far in the future is a typo.
    if occurred_at > utcnow() + timedelta(days=1):
        raise InvalidFields.one("body.occurred_at", "in the future")
    if action_type in OWN_ENDPOINT:
        raise InvalidFields.one("body.action_type", OWN_ENDPOINT[action_type])
    own_details = None
    for kind in DETAILS_OF:
        given = (details or {}).get(kind)
        if action_type == kind and given is None and kind != "meeting":
            raise InvalidFields.one(f"body.{kind}", f"required for a {kind}")
        if action_type != kind and given is not None:
            raise InvalidFields.one(f"body.{kind}", f"only for a {kind}")
        own_details = given if given is not None else own_details
    with change_case(
        runtime, principal, case_id=case_id, expected=expected, what="action.record"
    ) as c:
        action = record(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            action_type=action_type, summary=summary, occurred_at=occurred_at,
            involves=involves, details=own_details,
        )  # fmt: skip
        c.audit_detail = {"action_id": action.id, "action_type": action.action_type}
    return Recorded(action, c.case.version)


actions_of_case = records_reader("action.read", list_actions)


def write_note(runtime: ServiceRuntime, principal: Principal, *, case_id: str, text: str) -> Note:
    """An internal note: never in events, never shown to the complainant; it does not move
    the case's version."""
    with change_case(runtime, principal, case_id=case_id, expected=None, what="note.write") as c:
        note = add_note(session=c.session, case=c.case, principal=principal, text=text)
        c.audit_detail = {"note_id": note.id}
        loaded(c.session, note)
    return note


notes_of_case = records_reader("note.read", list_notes)
