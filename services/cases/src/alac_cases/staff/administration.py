"""Staff administration by the tenant admin: the identity provider first (account, role,
office, enabled), then the staff registry and its staff.* event in one transaction.

The identity change is idempotent, so when the second half fails (or the identity provider
is unreachable: Unavailable with Retry-After, nothing changed) the same request is simply sent
again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from alac_cases.case.commands import audit, loaded, unit_of_work
from alac_cases.runtime import CasesRuntime
from alac_cases.staff import service
from alac_cases.staff.models import StaffMember
from alac_cases.tenancy import service as registry
from alac_kernel.auth.principal import Principal
from alac_kernel.errors import Conflict, InvalidFields, NotFound
from alac_kernel.identity import IdentityRefused, IdentityUnavailable

T = TypeVar("T")


def _check_office(runtime: CasesRuntime, principal: Principal, office: str, field: str) -> None:
    with unit_of_work(runtime, principal) as session:
        offices = registry.offices_of(session=session, tenant_id=principal.tenant)
    if offices is None:
        raise Conflict(
            f"Tenant {principal.tenant!r} is not in the tenant registry; a platform admin "
            "onboards it first (POST /v1/tenants)."
        )
    if office not in offices:
        raise InvalidFields.one(field, f"not an office of this tenant: one of {', '.join(offices)}")


def _call(fn: Callable[[], T], field: str | None = None) -> T:
    try:
        return fn()
    except IdentityUnavailable as exc:
        raise registry.unavailable(exc) from None
    except IdentityRefused as exc:
        raise registry.refused(exc, field) from None


def invite(
    runtime: CasesRuntime,
    principal: Principal,
    *,
    username: str,
    email: str,
    first_name: str,
    last_name: str,
    office: str,
    role: str,
    position: str | None = None,
    language: str = "ru",
) -> StaffMember:
    _check_office(runtime, principal, office, "body.office")
    identity = runtime.identity
    taken = _call(lambda: identity.find_account(email))
    if taken is not None and taken.username != username:
        raise Conflict(
            "body.email: already the e-mail of another account",
            errors=[{"field": "body.email", "reason": "already the e-mail of another account"}],
        )
    account = _call(
        lambda: identity.invite(
            principal.tenant, username=username, email=email, first_name=first_name,
            last_name=last_name, office=office, role=role, language=language,
            organization_id=registry.organization_of(runtime.session_factory, principal.tenant),
        ),
        field="body.username",
    )  # fmt: skip
    with unit_of_work(runtime, principal) as session:
        member = service.record_invited(
            session=session, outbox=runtime.outbox, tenant_id=principal.tenant,
            subject=account.id, username=account.username, display_name=account.display_name,
            position=position, email=email, office=office, role=role, language=language,
        )  # fmt: skip
        audit(
            session=session, principal=principal, what="staff.invite",
            detail={"subject": account.id, "office": office, "role": role},
        )  # fmt: skip
        return _detached(session, member)


def _member(runtime: CasesRuntime, principal: Principal, who: str) -> StaffMember:
    with unit_of_work(runtime, principal) as session:
        member = service.find_member(session=session, who=who)
        if member is None:
            raise NotFound(f"staff member {who!r}")
        return _detached(session, member)


def move(
    runtime: CasesRuntime,
    principal: Principal,
    *,
    who: str,
    office: str | None = None,
    role: str | None = None,
    position: str | None = None,
) -> StaffMember:
    member = _member(runtime, principal, who)
    new_office = office or member.office
    new_role = role or member.role
    if office:
        _check_office(runtime, principal, office, "body.office")
    _call(
        lambda: runtime.identity.move(
            principal.tenant, member.subject, office=new_office, role=new_role
        )
    )
    with unit_of_work(runtime, principal) as session:
        fresh = _registered(session, member)
        if position is not None:
            fresh.position = position
        service.record_moved(
            session=session, outbox=runtime.outbox, member=fresh, office=new_office, role=new_role
        )
        audit(
            session=session, principal=principal, what="staff.move",
            detail={"subject": fresh.subject, "office": new_office, "role": new_role},
        )  # fmt: skip
        return _detached(session, fresh)


def deactivate(runtime: CasesRuntime, principal: Principal, *, who: str) -> StaffMember:
    member = _member(runtime, principal, who)
    if member.subject == principal.subject:
        raise Conflict("A tenant admin cannot deactivate themselves.")
    _call(lambda: runtime.identity.set_enabled(member.subject, False))
    with unit_of_work(runtime, principal) as session:
        fresh = _registered(session, member)
        if fresh.active:
            service.record_deactivated(session=session, outbox=runtime.outbox, member=fresh)
        audit(
            session=session, principal=principal, what="staff.deactivate",
            detail={"subject": fresh.subject},
        )  # fmt: skip
        return _detached(session, fresh)


def _registered(session: Session, member: StaffMember) -> StaffMember:
    fresh = service.find_member(session=session, who=member.subject)
    assert fresh is not None  # found a moment ago; staff members are never deleted
    return fresh


def _detached(session: Session, member: StaffMember) -> StaffMember:
    loaded(session, member)
    session.expunge(member)
    return member
