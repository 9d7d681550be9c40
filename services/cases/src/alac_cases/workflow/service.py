"""Moving a case through its workflow."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.case_events import emit
from alac_cases.consent import service as consent
from alac_cases.models import Case
from alac_cases.permissions import main_role
from alac_cases.workflow import transitions as wf
from alac_cases.workflow.models import StatusChange
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem, field_error


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
        raise field_error("body.to_status", f"unknown status; one of {', '.join(wf.STATUSES)}")
    allowed = wf.allowed_from(case.status, anonymous=case.anonymous)
    if to_status not in allowed:
        anonymous_block = case.anonymous and to_status in wf.TRANSITIONS.get(case.status, ())
        raise Problem(
            409,
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
            raise field_error("body.outcome", "required when closing a case")
        if outcome not in wf.OUTCOMES:
            raise field_error("body.outcome", f"unknown outcome; one of {', '.join(wf.OUTCOMES)}")
    elif outcome is not None:
        raise field_error("body.outcome", "only allowed when closing a case")
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


def history(*, session: Session, case_id: str) -> list[StatusChange]:
    return list(
        session.execute(
            select(StatusChange)
            .where(StatusChange.case_id == case_id)
            .order_by(StatusChange.changed_at, StatusChange.case_version)
        ).scalars()
    )
