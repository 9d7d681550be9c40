"""The permission matrix: which role may do what in the cases service, in one table.

Every endpoint names its permission with `alac_cases.views.allowed("...")` (the command line with
`require`); tests generate a request for every
permission x role x tenant from this table and compare with an independent expectation table.
Analysts and network analysts get nothing here: they work with analytics' aggregates, never with
case files (DOMAIN.md "Who uses the platform").
"""

from __future__ import annotations

from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.errors import Forbidden

V, L, C, TA = roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN

MATRIX: dict[str, frozenset[str]] = {
    # reading case files; volunteers only see their own office's cases
    "case.read": frozenset({V, L, C, TA}),
    "triage.read": frozenset({V, L, C}),
    "history.read": frozenset({V, L, C}),
    # the workflow
    "case.transition": frozenset({L, C}),
    # an information request is answered on the spot, often by the volunteer on the hotline
    "case.quick_answer": frozenset({V, L, C}),
    "case.assign": frozenset({L, C}),
    "staff.read": frozenset({L, C, TA}),
    "staff.write": frozenset({TA}),
    "consent.read": frozenset({L, C}),
    "consent.write": frozenset({L, C}),
    "action.read": frozenset({V, L, C}),
    "action.write": frozenset({L, C}),
    "note.read": frozenset({V, L, C}),
    "note.write": frozenset({V, L, C}),
    "audit.read": frozenset({C, TA}),
    "deadline_rule.read": frozenset({L, C, TA}),
    "deadline_rule.write": frozenset({TA}),
    "deadline.read": frozenset({L, C}),
    "deadline.write": frozenset({L, C}),
    "letter.write": frozenset({L}),
    "letter.read": frozenset({L, C}),
    "referral.write": frozenset({L, C}),
    "referral.read": frozenset({L, C}),
    # notifications: each staff member reads and sets their own; the tenant admin sees the
    # tenant's e-mail deliveries and sets who is told what
    "notification.read": frozenset({V, L, C, TA}),
    "notification_delivery.read": frozenset({TA}),
    "notification_rule.read": frozenset({C, TA}),
    "notification_rule.write": frozenset({TA}),
    # the tenant registry: onboarding, suspension, offboarding of centres
    "tenant.admin": frozenset({roles.PLATFORM_ADMIN}),
    # the caller's own centre as registered (names, offices, time zone: no case data, so
    # analysts too, for the dates on their pages)
    "tenant.read": frozenset({V, L, C, TA, roles.ANALYST}),
}


def require(principal: Principal, permission: str) -> Principal:
    """`principal`, if a role of theirs holds `permission`; else Forbidden naming the roles
    (the same refusal as the HTTP routes' dependency)."""
    required = sorted(MATRIX[permission])
    if not principal.has_any(*required):
        raise Forbidden(
            f"This action requires one of the roles: {', '.join(required)}.",
            required_roles=required,
        )
    return principal


def main_role(principal: Principal) -> str:
    """The role recorded in the audit trail and history (the most senior one held)."""
    for role in (TA, C, L, V):
        if role in principal.roles:
            return role
    return sorted(principal.roles)[0] if principal.roles else "none"
