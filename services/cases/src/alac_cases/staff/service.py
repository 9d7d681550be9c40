"""Office staff and assigning cases to them."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from alac_cases.case_events import emit
from alac_cases.models import Case
from alac_cases.staff.models import Assignment, StaffMember
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.outbox import Outbox
from alac_kernel.problems import Problem, field_error

ASSIGNABLE_ROLES = ("lawyer", "volunteer", "coordinator")


def upsert_staff(
    *,
    session: Session,
    tenant_id: str,
    subject: str,
    office: str,
    role: str,
    active: bool,
    full_name: str | None = None,
    position: str | None = None,
) -> StaffMember:
    member = session.execute(
        select(StaffMember).where(StaffMember.subject == subject)
    ).scalar_one_or_none()
    if member is None:
        member = StaffMember(
            id=new_id(),
            tenant_id=tenant_id,
            subject=subject,
            added_at=utcnow(),
            office=office,
            role=role,
            active=active,
            full_name=full_name,
            position=position,
        )
        session.add(member)
    else:
        member.office, member.role, member.active = office, role, active
        member.full_name, member.position = full_name, position
    session.flush()
    return member


def member(*, session: Session, subject: str) -> StaffMember | None:
    return session.execute(
        select(StaffMember).where(StaffMember.subject == subject)
    ).scalar_one_or_none()


def list_staff(*, session: Session, office: str | None) -> list[StaffMember]:
    query = select(StaffMember).order_by(StaffMember.office, StaffMember.subject)
    if office:
        query = query.where(StaffMember.office == office)
    return list(session.execute(query).scalars())


def least_loaded_lawyer(*, session: Session, tenant_id: str, office: str) -> StaffMember:
    """The active lawyer of `office` with the fewest open cases (ties: by subject, so the
    choice is repeatable)."""
    open_cases = (
        select(Case.assignee, func.count().label("n"))
        .where(Case.tenant_id == tenant_id, Case.status != "closed", Case.assignee.is_not(None))
        .group_by(Case.assignee)
        .subquery()
    )
    row = session.execute(
        select(StaffMember, func.coalesce(open_cases.c.n, 0).label("load"))
        .outerjoin(open_cases, open_cases.c.assignee == StaffMember.subject)
        .where(
            StaffMember.office == office,
            StaffMember.role == "lawyer",
            StaffMember.active.is_(True),
        )
        .order_by("load", StaffMember.subject)
        .limit(1)
    ).first()
    if row is None:
        raise Problem(
            409,
            f"The office {office} has no active lawyer to assign; add staff first.",
            title="No lawyer available",
        )
    return row[0]


def assign(
    *,
    session: Session,
    outbox: Outbox,
    case: Case,
    principal: Principal,
    assignee: str | None,
    strategy: str,
) -> Assignment:
    if strategy == "least_loaded":
        member = least_loaded_lawyer(session=session, tenant_id=case.tenant_id, office=case.office)
    else:
        if assignee is None:
            raise field_error("body.assignee", "required unless strategy is least_loaded")
        member = session.execute(
            select(StaffMember).where(StaffMember.subject == assignee)
        ).scalar_one_or_none()
        if member is None or not member.active:
            raise field_error("body.assignee", "not an active staff member of this tenant")
        if member.office != case.office:
            raise field_error("body.assignee", f"works in {member.office}, not {case.office}")
    now = utcnow()
    assignment = Assignment(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        assignee=member.subject,
        assignee_role=member.role,
        previous_assignee=case.assignee,
        strategy=strategy,
        assigned_by=principal.subject,
        assigned_at=now,
    )
    session.add(assignment)
    case.assignee = member.subject
    emit(
        session=session,
        outbox=outbox,
        case=case,
        type="case.assigned",
        data={
            "assignee": member.subject,
            "assignee_role": member.role,
            "previous_assignee": assignment.previous_assignee,
            "assigned_at": now.isoformat(),
        },
    )
    return assignment


def assignments(*, session: Session, case_id: str) -> list[Assignment]:
    return list(
        session.execute(
            select(Assignment).where(Assignment.case_id == case_id).order_by(Assignment.assigned_at)
        ).scalars()
    )
