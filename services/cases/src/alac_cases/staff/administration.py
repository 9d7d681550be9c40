"""Staff administration by the tenant admin: the identity provider first (account, role,
office, enabled), then the staff registry and its staff.* event in one transaction.

The identity change is idempotent, so when the second half fails (or the identity provider
is unreachable: 503 with Retry-After, nothing changed) the same request is simply sent again.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

from alac_cases.api import PROBLEMS, unit_of_work
from alac_cases.files import audit
from alac_cases.staff import service
from alac_cases.staff.models import StaffMember
from alac_cases.tenancy import service as registry
from alac_kernel.app import runtime_of
from alac_kernel.auth.principal import Principal
from alac_kernel.identity import IdentityAdmin, IdentityRefused, IdentityUnavailable
from alac_kernel.problems import PROBLEM_JSON, Problem, field_error

RESPONSES = {
    **PROBLEMS,
    409: {"description": "Username or e-mail taken by someone else (named in `errors`)"},
    503: {
        "description": "The identity provider cannot be reached; nothing changed; retry",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
        "content": {PROBLEM_JSON: {}},
    },
}


def _identity(request: Request) -> IdentityAdmin:
    return runtime_of(request).identity  # type: ignore[attr-defined,no-any-return]


def _check_office(request: Request, principal: Principal, office: str, field: str) -> None:
    with unit_of_work(request, principal) as (session, _):
        offices = registry.offices_of(session=session, tenant_id=principal.tenant)
    if offices is None:
        raise Problem(
            409,
            f"Tenant {principal.tenant!r} is not in the tenant registry; a platform admin "
            "onboards it first (POST /v1/tenants).",
        )
    if office not in offices:
        raise field_error(field, f"not an office of this tenant: one of {', '.join(offices)}")


def _call(fn: Any, field: str | None = None) -> Any:
    try:
        return fn()
    except IdentityUnavailable as exc:
        raise registry.unavailable(exc) from None
    except IdentityRefused as exc:
        raise registry.refused(exc, field) from None


def invite(*, request: Request, principal: Principal, body: Any) -> StaffMember:
    _check_office(request, principal, body.office, "body.office")
    identity = _identity(request)
    taken = _call(lambda: identity.find_account(body.email))
    if taken is not None and taken.username != body.username:
        raise field_error("body.email", "already the e-mail of another account", status=409)
    account = _call(
        lambda: identity.invite(
            principal.tenant, username=body.username, email=body.email,
            first_name=body.first_name, last_name=body.last_name, office=body.office,
            role=body.role, language=body.language,
        ),
        field="body.username",
    )  # fmt: skip
    with unit_of_work(request, principal) as (session, outbox):
        member = service.record_invited(
            session=session, outbox=outbox, tenant_id=principal.tenant, subject=account.id,
            username=account.username, display_name=account.display_name,
            position=body.position, email=body.email, office=body.office, role=body.role,
            language=body.language,
        )  # fmt: skip
        audit(
            session=session, principal=principal, what="staff.invite",
            detail={"subject": account.id, "office": body.office, "role": body.role},
        )  # fmt: skip
        session.flush()
        session.expunge(member)
        return member


def _member(request: Request, principal: Principal, who: str) -> StaffMember:
    with unit_of_work(request, principal) as (session, _):
        member = service.find_member(session=session, who=who)
        if member is None:
            raise Problem(404, f"No staff member {who!r} in this tenant.")
        session.expunge(member)
        return member


def move(*, request: Request, principal: Principal, who: str, body: Any) -> StaffMember:
    member = _member(request, principal, who)
    office = body.office or member.office
    role = body.role or member.role
    if body.office:
        _check_office(request, principal, body.office, "body.office")
    _call(lambda: _identity(request).move(member.subject, office=office, role=role))
    with unit_of_work(request, principal) as (session, outbox):
        fresh = service.find_member(session=session, who=member.subject)
        assert fresh is not None
        if body.position is not None:
            fresh.position = body.position
        service.record_moved(session=session, outbox=outbox, member=fresh, office=office, role=role)
        audit(
            session=session, principal=principal, what="staff.move",
            detail={"subject": fresh.subject, "office": office, "role": role},
        )  # fmt: skip
        session.flush()
        session.expunge(fresh)
        return fresh


def deactivate(*, request: Request, principal: Principal, who: str) -> StaffMember:
    member = _member(request, principal, who)
    if member.subject == principal.subject:
        raise Problem(409, "A tenant admin cannot deactivate themselves.")
    _call(lambda: _identity(request).set_enabled(member.subject, False))
    with unit_of_work(request, principal) as (session, outbox):
        fresh = service.find_member(session=session, who=member.subject)
        assert fresh is not None
        if fresh.active:
            service.record_deactivated(session=session, outbox=outbox, member=fresh)
        audit(
            session=session, principal=principal, what="staff.deactivate",
            detail={"subject": fresh.subject},
        )  # fmt: skip
        session.flush()
        session.expunge(fresh)
        return fresh
