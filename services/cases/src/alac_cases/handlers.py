"""Cases' event handlers, registered by event type in HANDLERS: the complaint events from
intake open a case and keep it in step with its complaint (corrections made in intake, the
consent the complainant gave at intake, withdrawal, erasure).

Each handler is a plain function that receives what it needs as arguments: the runtime (its
outbox, its text keys, its letter store), the session of the consumer's transaction (the inbox
row commits with it) and the event. `handlers(runtime)` binds the runtime for the consumer.

Intake owns the complaint; the case keeps copies (area, request type, the crux) for its
queues, so without these handlers the two services disagree after an edit. The complaint's
own version (the events' aggregateversion) orders the updates: an event at or below the
version the case already reflects is old news and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.case import service as cases
from alac_cases.case.models import ERASED_CRUX, Case
from alac_cases.consent import service as consent
from alac_cases.letters import service as letters
from alac_cases.runtime import CasesRuntime
from alac_cases.workflow import service as workflow
from alac_cases.workflow import transitions as wf
from alac_kernel import sealed_text
from alac_kernel.auth.principal import Principal
from alac_kernel.consumer import Handler, Prepare
from alac_kernel.events import Event
from alac_kernel.outbox import Outbox

# complaint.updated `changed` names (intake's row attributes) -> the case's copy of them.
COPIED_FIELDS = {"area": "area", "request_type": "request_type", "crux": "crux"}
# complaint.updated consent attributes -> consent scopes of the case.
CONSENT_ATTRIBUTES = {
    "consent_formal_action": "formal_action",
    "consent_documents_to_authorities": "documents_to_authorities",
    "consent_media": "media",
}
INTAKE_CONSENT = "intake_record"  # how_given: ticked on the complaint form, not signed in cases
WITHDRAWN = "withdrawn"


def intake_principal(tenant: str) -> Principal:
    """The actor recorded when intake's events, not a person in cases, change a case."""
    return Principal(
        subject="intake", username="intake", tenant=tenant, office=None,
        roles=frozenset({"intake"}), client_id=None, token_id=None,
    )  # fmt: skip


def take_consent_from_intake(
    *, session: Session, outbox: Outbox, case: Case, scopes: list[str]
) -> None:
    """The scopes the complainant agreed to on the complaint form become consent version 1,
    so the first action needs no second consent. An anonymous complaint allows advice only,
    whatever was ticked."""
    if case.anonymous or not scopes:
        return
    consent.record(
        session=session, outbox=outbox, case=case, principal=intake_principal(case.tenant_id),
        scopes=scopes, withdrawn=False, how_given=INTAKE_CONSENT, note=None,
    )  # fmt: skip


def _case_of(session: Session, event: Event) -> Case | None:
    return session.execute(
        select(Case).where(Case.complaint_id == event.data["complaint_id"])
    ).scalar_one_or_none()


def _is_news(case: Case, event: Event) -> bool:
    return case.complaint_version is None or event.aggregateversion > case.complaint_version


def apply_complaint_updated(*, session: Session, outbox: Outbox, event: Event) -> None:
    """Copy the complaint's corrected fields and consent into its case (once per version)."""
    case = _case_of(session, event)
    if case is None or not _is_news(case, event):
        return
    changed = event.data["changed"]
    for name, attribute in COPIED_FIELDS.items():
        # None: cleared, or a sealed text whose key is gone (erased): nothing to copy.
        if name in changed and changed[name] is not None:
            setattr(case, attribute, changed[name])
    case.complaint_version = event.aggregateversion
    consent_changes = {
        scope: bool(changed[attr]) for attr, scope in CONSENT_ATTRIBUTES.items() if attr in changed
    }
    if consent_changes and not case.anonymous:
        current = consent.current(session=session, case_id=case.id)
        scopes = set(current.scopes) if current else set()
        scopes |= {s for s, given in consent_changes.items() if given}
        scopes -= {s for s, given in consent_changes.items() if not given}
        if current is None or scopes != set(current.scopes):
            consent.record(
                session=session, outbox=outbox, case=case,
                principal=intake_principal(case.tenant_id), scopes=sorted(scopes),
                withdrawn=False, how_given=INTAKE_CONSENT, note=None,
            )  # fmt: skip
    session.flush()


def apply_complaint_withdrawn(*, session: Session, outbox: Outbox, event: Event) -> None:
    """A withdrawn complaint closes its case with the outcome `withdrawn` (a case already
    closed stays as it is: its outcome is what the centre achieved)."""
    case = _case_of(session, event)
    if case is None or not _is_news(case, event):
        return
    case.complaint_version = event.aggregateversion
    if case.status == wf.CLOSED:
        return
    by = event.data.get("withdrawn_by", "complainant")
    # Every status may close (transitions.TRANSITIONS), anonymous or not.
    workflow.transition(
        session=session, outbox=outbox, case=case, principal=intake_principal(case.tenant_id),
        to_status=wf.CLOSED, outcome=WITHDRAWN, reason=f"complaint withdrawn by the {by}",
    )  # fmt: skip


def erase_crux(*, session: Session, event: Event) -> None:
    """On complaint.personal_data_purged: the case's copy of the crux goes with the rest (it
    may name the complainant); its key is destroyed, so no replayed event brings it back."""
    case = _case_of(session, event)
    if case is not None:
        case.crux = ERASED_CRUX


# ---------------------------------------------------------------------- the handlers


def complaint_received(runtime: CasesRuntime, session: Session, event: Event) -> None:
    # The case keeps a copy of the crux for its queues and referrals: sealed in the event,
    # opened with cases' grant (alac_kernel.sealed_text); erased on purge below.
    event = sealed_text.open_event(event, runtime.text_keys)
    case = cases.open_case_for_complaint(session=session, outbox=runtime.outbox, event=event)
    if case is not None:
        take_consent_from_intake(
            session=session, outbox=runtime.outbox, case=case,
            scopes=event.data.get("consent") or [],
        )  # fmt: skip


def complaint_updated(runtime: CasesRuntime, session: Session, event: Event) -> None:
    event = sealed_text.open_event(event, runtime.text_keys)
    apply_complaint_updated(session=session, outbox=runtime.outbox, event=event)


def complaint_withdrawn(runtime: CasesRuntime, session: Session, event: Event) -> None:
    apply_complaint_withdrawn(session=session, outbox=runtime.outbox, event=event)


def personal_data_purged(runtime: CasesRuntime, session: Session, event: Event) -> None:
    # The letters tell the complainant's story to an authority: they go with the rest of the
    # personal data.
    letters.erase_for_complaint(session=session, store=runtime.letters, complaint_id=event.subject)
    erase_crux(session=session, event=event)


HANDLERS: dict[str, Callable[[CasesRuntime, Session, Event], None]] = {
    "complaint.received": complaint_received,
    "complaint.updated": complaint_updated,
    "complaint.withdrawn": complaint_withdrawn,
    "complaint.personal_data_purged": personal_data_purged,
}
# The aggregates whose topics the consumer group reads.
AGGREGATES = ["complaint"]


def handlers(runtime: CasesRuntime) -> dict[str, Handler]:
    """HANDLERS with `runtime` bound, as the kernel's consumer calls them (session, event)."""
    return {kind: partial(handle, runtime) for kind, handle in HANDLERS.items()}


def prepare(runtime: CasesRuntime) -> Prepare:
    """The keys of a batch's sealed texts, fetched from intake in one request before the
    batch's transaction: not one request per complaint while cases' write lock is held."""
    return lambda events: sealed_text.fetched_for(runtime.text_keys, events)
