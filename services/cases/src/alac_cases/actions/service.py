"""Recording actions on a case (consent-gated) and internal notes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.actions.models import Action, Note
from alac_cases.case_events import emit
from alac_cases.consent import service as consent
from alac_cases.models import Case
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem

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
        raise Problem(409, "The case is closed; reopen it to record actions.", allowed=[])
    scopes = set(REQUIRED_SCOPES.get(action_type, ())) | set(involves or ())
    if case.anonymous and (action_type not in ANONYMOUS_ALLOWED or scopes):
        raise Problem(
            409,
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
    return list(
        session.execute(
            select(Action).where(Action.case_id == case_id).order_by(Action.occurred_at)
        ).scalars()
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
    return list(
        session.execute(
            select(Note).where(Note.case_id == case_id).order_by(Note.written_at)
        ).scalars()
    )
