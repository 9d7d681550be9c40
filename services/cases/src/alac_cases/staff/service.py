"""Office staff and assigning cases to them."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from alac_cases.case.commands import audit, change_case, rows_of_case, unit_of_work
from alac_cases.case.events import emit
from alac_cases.case.models import Case
from alac_cases.staff import events as staff_events
from alac_cases.staff.models import Assignment, StaffMember
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import Conflict, InvalidFields
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime

#: The roles of an office's members declared by subject (POST /v1/staff), who work its cases.
ASSIGNABLE_ROLES = (roles.LAWYER, roles.VOLUNTEER, roles.COORDINATOR)
#: The roles the tenant admin invites people into or moves them to (staff/administration.py).
INVITABLE_ROLES = (roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.ANALYST)


def upsert_staff(
    *,
    session: Session,
    tenant_id: str,
    subject: str,
    office: str,
    role: str,
    active: bool,
    display_name: str | None = None,
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
            display_name=display_name,
            position=position,
        )
        session.add(member)
    else:
        member.office, member.role, member.active = office, role, active
        # Unset fields keep what the registry already knows (e.g. from staff.* events).
        if display_name is not None:
            member.display_name = display_name
        if position is not None:
            member.position = position
    session.flush()
    return member


def member(*, session: Session, subject: str) -> StaffMember | None:
    return session.execute(
        select(StaffMember).where(StaffMember.subject == subject)
    ).scalar_one_or_none()


def staff_of(*, session: Session, office: str | None) -> list[StaffMember]:
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
            StaffMember.role == roles.LAWYER,
            StaffMember.active.is_(True),
        )
        .order_by("load", StaffMember.subject)
        .limit(1)
    ).first()
    if row is None:
        raise Conflict(
            f"The office {office} has no active lawyer to assign; add staff first.",
            title="No lawyer available",
        )
    return row[0]


def assign_case(
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
            raise InvalidFields.one("body.assignee", "required unless strategy is least_loaded")
        found = find_member(session=session, who=assignee)
        if found is None or not found.active:
            raise InvalidFields.one("body.assignee", "not an active staff member of this tenant")
        member = found
        if member.office != case.office:
            raise InvalidFields.one("body.assignee", f"works in {member.office}, not {case.office}")
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
    return rows_of_case(
        session=session, model=Assignment, case_id=case_id, order_by=[Assignment.assigned_at]
    )


# ---------------------------------------------------------------------- named staff
# Staff administered through the identity provider (invited by the tenant admin): their
# names and positions travel in staff.* events, so assignees, note authors and audit entries
# show people, and a case can be assigned by username or e-mail.


def find_member(*, session: Session, who: str) -> StaffMember | None:
    """The staff member whose subject, username or e-mail is `who` (case-insensitive)."""
    wanted = who.strip()
    return session.execute(
        select(StaffMember)
        .where(
            or_(
                StaffMember.subject == wanted,
                func.lower(StaffMember.username) == wanted.lower(),
                func.lower(StaffMember.email) == wanted.lower(),
            )
        )
        .order_by(StaffMember.active.desc())
        .limit(1)
    ).scalar_one_or_none()


def names_by_subject(*, session: Session, subjects: set[str]) -> dict[str, StaffMember]:
    if not subjects:
        return {}
    rows = session.execute(select(StaffMember).where(StaffMember.subject.in_(subjects))).scalars()
    return {m.subject: m for m in rows}


def _public(member: StaffMember) -> dict:
    return {
        "username": member.username,
        "display_name": member.display_name,
        "position": member.position,
        "office": member.office,
        "role": member.role,
        "language": member.language or "ru",
    }


def record_invited(
    *,
    session: Session,
    outbox: Outbox,
    tenant_id: str,
    subject: str,
    username: str,
    display_name: str,
    position: str | None,
    email: str,
    office: str,
    role: str,
    language: str,
) -> StaffMember:
    """The invited person in the staff registry, announced by staff.invited (once: inviting
    the same person again updates the record without a second event)."""
    member = session.execute(
        select(StaffMember).where(StaffMember.subject == subject)
    ).scalar_one_or_none()
    fresh = member is None
    if member is None:
        member = StaffMember(id=new_id(), tenant_id=tenant_id, subject=subject, added_at=utcnow())
        session.add(member)
    member.office, member.role, member.active = office, role, True
    member.username, member.display_name, member.position = username, display_name, position
    member.email, member.language = email.lower(), language
    session.flush()
    if fresh:
        staff_events.emit(
            session=session, outbox=outbox, member=member, type="staff.invited",
            data={**_public(member), "invited_at": member.added_at.isoformat()},
        )  # fmt: skip
    return member


def record_moved(
    *, session: Session, outbox: Outbox, member: StaffMember, office: str, role: str
) -> StaffMember:
    previous = member.office
    member.office, member.role = office, role
    staff_events.emit(
        session=session, outbox=outbox, member=member, type="staff.moved",
        data={**_public(member), "previous_office": previous, "moved_at": utcnow().isoformat()},
    )  # fmt: skip
    return member


def record_deactivated(*, session: Session, outbox: Outbox, member: StaffMember) -> StaffMember:
    member.active = False
    staff_events.emit(
        session=session, outbox=outbox, member=member, type="staff.deactivated",
        data={"deactivated_at": utcnow().isoformat()},
    )  # fmt: skip
    return member


# ---------------------------------------------------------------------- use cases


def declare_member(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    subject: str,
    office: str,
    role: str,
    active: bool = True,
    display_name: str | None = None,
    position: str | None = None,
) -> StaffMember:
    """Add or update a staff member of the caller's tenant, declared by token subject."""
    with unit_of_work(runtime, principal) as session:
        member = upsert_staff(
            session=session, tenant_id=principal.tenant, subject=subject, office=office,
            role=role, active=active, display_name=display_name, position=position,
        )  # fmt: skip
        detail = {
            "subject": subject, "office": office, "role": role, "active": active,
            "display_name": display_name, "position": position,
        }  # fmt: skip
        audit(session=session, principal=principal, what="staff.write", detail=detail)
        return member


def list_staff(
    runtime: ServiceRuntime, principal: Principal, *, office: str | None
) -> list[StaffMember]:
    with unit_of_work(runtime, principal) as session:
        return staff_of(session=session, office=office)


def assign(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    expected: int,
    assignee: str | None = None,
    strategy: str = "by_hand",
) -> Case:
    """Assign a case by hand (subject, username or e-mail) or to the least loaded lawyer of
    its office."""
    with change_case(
        runtime, principal, case_id=case_id, expected=expected, what="case.assign"
    ) as c:
        assignment = assign_case(
            session=c.session, outbox=c.outbox, case=c.case, principal=principal,
            assignee=assignee, strategy=strategy,
        )  # fmt: skip
        c.audit_detail = {"assignee": assignment.assignee, "strategy": strategy}
    return c.case
