"""Who is told what: one table of decisions, like the permission matrix.

Each row is (kind of notification, audience): when an event of that kind happens, that
audience is told. A tenant admin can switch a row off or on (and set the working days a
complainant's message may wait); rows the tenant has not touched are the defaults below.

Audiences:
- `assignee`: the case's assigned staff member; an unassigned case's office coordinators
  instead (someone must hear of a deadline).
- `previous_assignee`: the one a reassigned case was taken from.
- `office_coordinators`: the active coordinators of the case's (or alert's) office; of the
  whole tenant when the office has none.
- `tenant_admins`: the tenant's active tenant admins.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.notifications.models import NotificationRule
from alac_kernel.db import utcnow
from alac_kernel.errors import InvalidFields

ASSIGNEE = "assignee"
PREVIOUS_ASSIGNEE = "previous_assignee"
OFFICE_COORDINATORS = "office_coordinators"
TENANT_ADMINS = "tenant_admins"
AUDIENCES = (ASSIGNEE, PREVIOUS_ASSIGNEE, OFFICE_COORDINATORS, TENANT_ADMINS)

# Working days a complainant's message may wait for an answer before coordinators are told.
DEFAULT_WAITING_DAYS = 2


@dataclass(frozen=True)
class Rule:
    kind: str
    audience: str
    enabled: bool = True
    working_days: int | None = None


# kind -> the event that raises it (documentation and the API's rule listing)
KINDS: dict[str, str] = {
    "deadline_approaching": "case.deadline_approaching",
    "deadline_missed": "case.deadline_missed",
    "case_assigned": "case.assigned",
    "case_reassigned": "case.assigned (to someone else)",
    "case_referred_in": "case.referred (to this centre)",
    "complainant_message": "complaint.message_posted (from the complainant)",
    "message_waiting": "complaint.message_posted, unanswered for N working days",
    "consent_recorded": "case.consent_recorded",
    "pattern_detected": "alert.pattern_detected",
    "webhook_disabled": "partner.webhook_disabled",
    "tenant_onboarded": "tenant.onboarded",
}

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("deadline_approaching", ASSIGNEE),
    Rule("deadline_missed", ASSIGNEE),
    Rule("deadline_missed", OFFICE_COORDINATORS),
    Rule("case_assigned", ASSIGNEE),
    Rule("case_reassigned", PREVIOUS_ASSIGNEE),
    Rule("case_referred_in", OFFICE_COORDINATORS),
    Rule("complainant_message", ASSIGNEE),
    Rule("message_waiting", OFFICE_COORDINATORS, working_days=DEFAULT_WAITING_DAYS),
    Rule("consent_recorded", ASSIGNEE),
    Rule("pattern_detected", OFFICE_COORDINATORS),
    Rule("webhook_disabled", TENANT_ADMINS),
    Rule("tenant_onboarded", TENANT_ADMINS),
)


def effective_rules(*, session: Session, tenant: str) -> list[Rule]:
    """The defaults with the tenant's changes applied; rows only the tenant added (an
    audience the defaults do not have for a kind) come after."""
    # Core on the table with the tenant explicit: rules of a tenant other than the session's
    # are read when a case is referred to it.
    table = NotificationRule.__table__
    changes = {
        (r.kind, r.audience): r
        for r in session.execute(select(table).where(table.c.tenant_id == tenant))
    }
    rules: list[Rule] = []
    for default in DEFAULT_RULES:
        change = changes.pop((default.kind, default.audience), None)
        if change is None:
            rules.append(default)
        else:
            rules.append(
                Rule(
                    default.kind,
                    default.audience,
                    change.enabled,
                    change.working_days
                    if change.working_days is not None
                    else default.working_days,
                )
            )
    for (kind, audience), change in sorted(changes.items()):
        rules.append(Rule(kind, audience, change.enabled, change.working_days))
    return rules


def audiences_for(*, session: Session, tenant: str, kind: str) -> list[str]:
    return [
        r.audience
        for r in effective_rules(session=session, tenant=tenant)
        if r.kind == kind and r.enabled
    ]


def waiting_days(*, session: Session, tenant: str) -> int | None:
    """Working days a message may wait, or None when the tenant switched the rule off."""
    for rule in effective_rules(session=session, tenant=tenant):
        if rule.kind == "message_waiting" and rule.enabled:
            return rule.working_days or DEFAULT_WAITING_DAYS
    return None


def set_rules(*, session: Session, tenant: str, rules: list[Rule]) -> list[Rule]:
    """Record the tenant admin's rules (each named pair; others keep what they were)."""
    errors = []
    for index, rule in enumerate(rules):
        if rule.kind not in KINDS:
            errors.append(
                {
                    "field": f"body.rules[{index}].kind",
                    "reason": f"unknown kind; one of {', '.join(KINDS)}",
                }
            )
        if rule.audience not in AUDIENCES:
            errors.append(
                {
                    "field": f"body.rules[{index}].audience",
                    "reason": f"unknown audience; one of {', '.join(AUDIENCES)}",
                }
            )
        if rule.working_days is not None and rule.kind != "message_waiting":
            errors.append(
                {
                    "field": f"body.rules[{index}].working_days",
                    "reason": "only the message_waiting rule counts working days",
                }
            )
    if errors:
        raise InvalidFields.many(errors)
    now = utcnow()
    for rule in rules:
        row = session.get(NotificationRule, (tenant, rule.kind, rule.audience))
        if row is None:
            row = NotificationRule(tenant_id=tenant, kind=rule.kind, audience=rule.audience)
            session.add(row)
        row.enabled, row.working_days, row.updated_at = rule.enabled, rule.working_days, now
    session.flush()
    return effective_rules(session=session, tenant=tenant)
