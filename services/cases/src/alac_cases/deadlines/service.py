"""Deadlines of a case: the tenant's rule table, setting and meeting deadlines, overdue lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.case.commands import audit, change_case, records_reader, rows_of_case, unit_of_work
from alac_cases.case.models import Case
from alac_cases.deadlines import calendar
from alac_cases.deadlines.models import Deadline, DeadlineRule
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, one_found, utcnow
from alac_kernel.errors import Conflict, InvalidFields
from alac_kernel.runtime import ServiceRuntime

# The rules every tenant starts with (seeds/001 and the procedural codes); a tenant admin
# changes them with PUT /v1/deadline-rules/{code}. (code, days, day_kind, warn_days, what)
DEFAULT_RULES = (
    (
        "detention_appeal",
        15,
        "calendar",
        3,
        "Appeal against an administrative detention: 15 calendar days (seeds/001).",
    ),
    (
        "decision_in_force",
        15,
        "calendar",
        3,
        "A decision enters into force when not appealed within 10-15 days (15 used, the longer).",
    ),
    (
        "voluntary_execution",
        30,
        "calendar",
        5,
        "Voluntary execution of a decision in force: 30 calendar days.",
    ),
    (
        "first_contact",
        3,
        "working",
        1,
        "Centre's target: first contact with the complainant within 3 working days.",
    ),
)
# The warning window of a deadline set by hand with a due date and no rule of the table.
CUSTOM_RULE = "custom"
CUSTOM_WARN_DAYS = 2


def ensure_rules(*, session: Session, tenant_id: str) -> None:
    """Give a tenant the default rules the first time it needs them."""
    if session.execute(select(DeadlineRule.id).limit(1)).first() is not None:
        return
    for code, days, kind, warn, text in DEFAULT_RULES:
        session.add(
            DeadlineRule(
                id=new_id(),
                tenant_id=tenant_id,
                code=code,
                days=days,
                day_kind=kind,
                warn_days=warn,
                description=text,
            )
        )
    session.flush()


# The tenant registry's `deadlines` (response_days, warn_days_before): the centre's answer to
# the complainant, in calendar days, a rule of the table like the others.
RESPONSE_RULE = "response"


def apply_registry_deadlines(*, session: Session, tenant_id: str, deadlines: dict) -> None:
    """The registry's deadline rules as the tenant's `response` rule: on onboarding and when
    the registry changes them (in the same transaction as the registry); the tenant admin may
    change the rule in between (PUT /v1/deadline-rules/response)."""
    days = int(deadlines.get("response_days", 30))
    upsert_rule(
        session=session, tenant_id=tenant_id, code=RESPONSE_RULE, days=days,
        day_kind="calendar", warn_days=int(deadlines.get("warn_days_before", 3)),
        description=f"The centre's answer to the complainant: {days} calendar days "
        "(the tenant registry's deadlines).",
    )  # fmt: skip


def rules_of(*, session: Session, tenant_id: str) -> list[DeadlineRule]:
    ensure_rules(session=session, tenant_id=tenant_id)
    return list(session.execute(select(DeadlineRule).order_by(DeadlineRule.code)).scalars())


def get_rule(*, session: Session, tenant_id: str, code: str) -> DeadlineRule | None:
    ensure_rules(session=session, tenant_id=tenant_id)
    return session.execute(
        select(DeadlineRule).where(DeadlineRule.code == code)
    ).scalar_one_or_none()


def upsert_rule(
    *,
    session: Session,
    tenant_id: str,
    code: str,
    days: int,
    day_kind: str,
    warn_days: int,
    description: str,
) -> DeadlineRule:
    rule = get_rule(session=session, tenant_id=tenant_id, code=code)
    if rule is None:
        rule = DeadlineRule(id=new_id(), tenant_id=tenant_id, code=code)
        session.add(rule)
    rule.days, rule.day_kind, rule.warn_days, rule.description = (
        days,
        day_kind,
        warn_days,
        description,
    )
    session.flush()
    return rule


def due_date(*, session: Session, rule: DeadlineRule, starts_on: date) -> date:
    # Enough holidays for any term: a working day term of n days spans at most ~2n+30 days.
    horizon = starts_on + timedelta(days=rule.days * 2 + 60)
    holidays = calendar.holidays_between(session=session, start=starts_on, end=horizon)
    return calendar.add_days(starts_on, rule.days, kind=rule.day_kind, holidays=holidays)


def add_deadline(
    *,
    session: Session,
    case: Case,
    principal: Principal,
    rule_code: str | None,
    starts_on: date | None,
    due_on: date | None,
    now: datetime | None = None,
) -> Deadline:
    now = now or utcnow()
    if case.status == "closed":
        raise Conflict("The case is closed; reopen it to set deadlines.", allowed=[])
    if due_on is None:
        if rule_code is None or starts_on is None:
            raise InvalidFields.one("body.starts_on", "give a rule and a start date, or a due date")
        rule = get_rule(session=session, tenant_id=case.tenant_id, code=rule_code)
        if rule is None:
            raise InvalidFields.one("body.rule", f"no deadline rule {rule_code} in this tenant")
        due_on = due_date(session=session, rule=rule, starts_on=starts_on)
        field = "body.starts_on"
    else:
        rule_code = rule_code or CUSTOM_RULE
        if rule_code != CUSTOM_RULE and (
            get_rule(session=session, tenant_id=case.tenant_id, code=rule_code) is None
        ):
            raise InvalidFields.one("body.rule", f"no deadline rule {rule_code} in this tenant")
        field = "body.due_on"
    due_at = calendar.end_of_day(due_on)
    if due_at <= now:
        raise InvalidFields.one(field, f"the deadline ({due_on.isoformat()}) is already past")
    deadline = Deadline(
        id=new_id(),
        tenant_id=case.tenant_id,
        case_id=case.id,
        rule=rule_code,
        starts_on=starts_on or now.astimezone(calendar.KZ).date(),
        due_at=due_at,
        met_at=None,
        warned=False,
        missed=False,
        created_by=principal.subject,
    )
    session.add(deadline)
    session.flush()
    return deadline


def list_deadlines(*, session: Session, case_id: str) -> list[Deadline]:
    return rows_of_case(
        session=session, model=Deadline, case_id=case_id, order_by=[Deadline.due_at]
    )


def mark_met(*, session: Session, case: Case, deadline_id: str) -> Deadline:
    query = select(Deadline).where(Deadline.id == deadline_id, Deadline.case_id == case.id)
    deadline = one_found(session, query, "deadline")
    if deadline.met_at is None:
        deadline.met_at = utcnow()
        session.flush()
    return deadline


def overdue_of(
    *,
    session: Session,
    office: str | None,
    assignee: str | None,
    now: datetime | None = None,
    limit: int = 200,
) -> list[tuple[Deadline, Case]]:
    """Deadlines past due and not met, of open cases, most overdue first."""
    query = (
        select(Deadline, Case)
        .join(Case, Case.id == Deadline.case_id)
        .where(Deadline.met_at.is_(None), Deadline.due_at < (now or utcnow()))
        .where(Case.status != "closed")
        .order_by(Deadline.due_at, Deadline.id)
        .limit(limit)
    )
    if office:
        query = query.where(Case.office == office)
    if assignee:
        query = query.where(Case.assignee == assignee)
    return [(d, c) for d, c in session.execute(query).all()]


# ---------------------------------------------------------------------- use cases


def list_rules(runtime: ServiceRuntime, principal: Principal) -> list[DeadlineRule]:
    with unit_of_work(runtime, principal) as session:
        return rules_of(session=session, tenant_id=principal.tenant)


def put_rule(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    code: str,
    days: int,
    day_kind: str,
    warn_days: int,
    description: str,
) -> DeadlineRule:
    with unit_of_work(runtime, principal) as session:
        return upsert_rule(
            session=session, tenant_id=principal.tenant, code=code, days=days,
            day_kind=day_kind, warn_days=warn_days, description=description,
        )  # fmt: skip


def set_deadline(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    rule_code: str | None,
    starts_on: date | None,
    due_on: date | None,
) -> Deadline:
    """A deadline from a rule and a start date, or an explicit due date. Setting one emits no
    event and does not move the case's version."""
    with change_case(runtime, principal, case_id=case_id, expected=None, what="deadline.set") as c:
        deadline = add_deadline(
            session=c.session, case=c.case, principal=principal, rule_code=rule_code,
            starts_on=starts_on, due_on=due_on,
        )  # fmt: skip
        c.audit_detail = {"deadline_id": deadline.id, "rule": deadline.rule}
    return deadline


deadlines_of_case = records_reader("deadline.read", list_deadlines)


def meet(
    runtime: ServiceRuntime, principal: Principal, *, case_id: str, deadline_id: str
) -> Deadline:
    with change_case(runtime, principal, case_id=case_id, expected=None, what="deadline.met") as c:
        deadline = mark_met(session=c.session, case=c.case, deadline_id=deadline_id)
        c.audit_detail = {"deadline_id": deadline.id}
    return deadline


def overdue(
    runtime: ServiceRuntime, principal: Principal, *, office: str | None, assignee: str | None
) -> list[tuple[Deadline, Case]]:
    with unit_of_work(runtime, principal) as session:
        rows = overdue_of(session=session, office=office, assignee=assignee)
        audit(
            session=session, principal=principal, what="deadline.overdue",
            detail={"office": office, "assignee": assignee},
        )  # fmt: skip
        return rows
