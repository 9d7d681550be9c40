"""Moving a case through its workflow: transitions, the quick-answer path, the history and
the triage queue."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.actions import service as actions
from alac_cases.case.commands import audit, change_case, read_case, rows_of_case, unit_of_work
from alac_cases.case.events import emit
from alac_cases.case.models import Case
from alac_cases.consent import service as consent
from alac_cases.permissions import main_role
from alac_cases.staff import service as staff
from alac_cases.staff.models import Assignment
from alac_cases.workflow import transitions as wf
from alac_cases.workflow.models import StatusChange
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import Conflict, InvalidFields
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.visibility import visibility


def transition(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    principal: Principal,
    to_status: str,
    reason: str,
    outcome: str | None = None,
) -> StatusChange:
    """Move `case` to `to_status`; emits case.status_changed, and case.closed or
    case.reopened when the case closes or reopens."""
    if to_status not in wf.STATUSES:
        raise InvalidFields.one(
            "body.to_status", f"unknown status; one of {', '.join(wf.STATUSES)}"
        )
    allowed = wf.allowed_from(case.status, anonymous=case.anonymous)
    if to_status not in allowed:
        anonymous_block = case.anonymous and to_status in wf.TRANSITIONS.get(case.status, ())
        raise Conflict(
            (
                f"An anonymous complaint allows a legal assessment and advice only; "
                f"'{to_status}' would act on the complainant's behalf."
                if anonymous_block
                else f"A case in '{case.status}' cannot move to '{to_status}'."
            ),
            title="Transition not allowed",
            current_status=case.status,
            allowed=allowed,
        )
    if to_status == wf.CLOSED:
        if outcome is None:
            raise InvalidFields.one("body.outcome", "required when closing a case")
        if outcome not in wf.OUTCOMES:
            raise InvalidFields.one(
                "body.outcome", f"unknown outcome; one of {', '.join(wf.OUTCOMES)}"
            )
    elif outcome is not None:
        raise InvalidFields.one("body.outcome", "only allowed when closing a case")
    if to_status in wf.NEEDS_CONSENT:
        # Acting on the client's behalf needs their consent, whichever way the case gets
        # there (API, CLI, reopening); the action endpoints check it again per action.
        consent.require(
            session=session, case=case, scopes=wf.NEEDS_CONSENT[to_status],
            doing=f"moving the case to '{to_status}'",
        )  # fmt: skip

    now = utcnow()
    from_status = case.status
    case.status = to_status
    emit(
        session=session,
        outbox=outbox,
        case=case,
        type="case.status_changed",
        data={
            "from_status": from_status,
            "to_status": to_status,
            "reason": reason,
            "changed_at": now.isoformat(),
        },
    )
    if to_status == wf.CLOSED:
        case.outcome, case.closed_at = outcome, now
        emit(
            session=session,
            outbox=outbox,
            case=case,
            type="case.closed",
            data={"outcome": outcome, "closed_at": now.isoformat()},
        )
    elif from_status == wf.CLOSED:
        case.outcome, case.closed_at = None, None
        emit(
            session=session,
            outbox=outbox,
            case=case,
            type="case.reopened",
            data={"reason": reason, "reopened_at": now.isoformat()},
        )
    change = StatusChange(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        from_status=from_status,
        to_status=to_status,
        outcome=outcome,
        reason=reason,
        actor=principal.subject,
        actor_role=main_role(principal),
        changed_at=now,
        case_version=case.version,
    )
    session.add(change)
    session.flush()
    return change


def status_changes(*, session: Session, case_id: str) -> list[StatusChange]:
    return rows_of_case(
        session=session,
        model=StatusChange,
        case_id=case_id,
        order_by=[StatusChange.changed_at, StatusChange.case_version],
    )


# ---------------------------------------------------------------------- use cases


def move(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    expected: int,
    to_status: str,
    reason: str,
    outcome: str | None = None,
) -> Case:
    """Move a case to another status (Conflict listing the statuses allowed from here)."""
    detail = {"to_status": to_status, "outcome": outcome}
    with change_case(
        runtime, principal, case_id=case_id, expected=expected, what="case.transition",
        detail=detail,
    ) as c:  # fmt: skip
        transition(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            to_status=to_status, reason=reason, outcome=outcome,
        )  # fmt: skip
    return c.case


def answer_quickly(
    runtime: ServiceRuntime, principal: Principal, *, case_id: str, expected: int, answer: str
) -> Case:
    """Answer an information request on the spot: the answer is an `advice` action and the
    case closes as advice given."""
    with change_case(
        runtime, principal, case_id=case_id, expected=expected, what="case.quick_answer"
    ) as c:
        if c.case.status != wf.QUICK_ANSWER:
            raise Conflict(
                f"Only a case on the quick-answer path can be answered this way; this one is "
                f"in '{c.case.status}'.",
                title="Transition not allowed",
                current_status=c.case.status,
                allowed=wf.allowed_from(c.case.status, anonymous=c.case.anonymous),
            )
        actions.record(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            action_type="advice", summary=answer, occurred_at=utcnow(),
        )  # fmt: skip
        transition(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            to_status=wf.CLOSED, reason="information request answered", outcome="advice_given",
        )  # fmt: skip
    return c.case


@dataclass
class History:
    status_changes: list[StatusChange]
    assignments: list[Assignment]
    allowed_next: list[str]


def history_of(*, session: Session, case: Case) -> History:
    return History(
        status_changes=status_changes(session=session, case_id=case.id),
        assignments=staff.assignments(session=session, case_id=case.id),
        allowed_next=wf.allowed_from(case.status, anonymous=case.anonymous),
    )


def history(runtime: ServiceRuntime, principal: Principal, *, case_id: str) -> History:
    with read_case(runtime, principal, case_id=case_id, what="case.history") as c:
        return history_of(session=c.session, case=c.case)


def triage_queue(
    runtime: ServiceRuntime, principal: Principal, *, office: str | None, limit: int
) -> list[Case]:
    """Cases in triage, oldest first. Volunteers get their own office's queue whatever they
    ask for (the kernel's visibility); those who see every office the office asked for, else
    their own."""
    office = visibility(principal).office_filter(office or principal.office)
    query = select(Case).where(Case.status == wf.TRIAGE).order_by(Case.opened_at, Case.id)
    if office:
        query = query.where(Case.office == office)
    with unit_of_work(runtime, principal) as session:
        cases = list(session.execute(query.limit(limit)).scalars())
        audit(
            session=session, principal=principal, what="triage.list",
            detail={"office": office, "case_ids": [c.id for c in cases]},
        )  # fmt: skip
    return cases
