"""The events notifications react to, each turned into a `Telling` for the audiences the
tenant's rules name. The consumer group (`cases-notifications`) applies each event at most
once: its inbox row commits with the notifications and e-mails it decided."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from alac_cases.case.models import Case
from alac_cases.notifications import digest, service, waiting
from alac_cases.notifications.service import Telling
from alac_cases.staff.models import Assignment
from alac_cases.tenancy.service import display_name
from alac_kernel.events import Event

GROUP = "cases-notifications"
AGGREGATES = ("case", "complaint", "alert", "partner", "tenant")


def _case(session: Session, event: Event) -> Case | None:
    return session.get(Case, event.data.get("case_id") or event.subject)


def _last_day(session: Session, tenant: str, due_at: str) -> str:
    """The deadline's last day: it falls due at the end of it (midnight after, local time)."""
    moment = datetime.fromisoformat(due_at) - timedelta(microseconds=1)
    return moment.astimezone(digest.tenant_zone(session, tenant)).date().isoformat()


def _telling(
    event: Event, kind: str, *, link: str, params: Mapping[str, Any], case_id: str | None = None
) -> Telling:
    """What to tell of `event`: one decision per event and kind (its dedupe key)."""
    return Telling(
        kind=kind,
        dedupe_key=f"{event.id}:{kind}",
        link=link,
        params=params,
        case_id=case_id,
        event_id=event.id,
        event_type=event.type,
    )


def _case_telling(
    event: Event, case: Case, kind: str, anchor: str | None = None, **params: object
) -> Telling:
    return _telling(
        event, kind, link=service.case_link(case.id, anchor),
        params={"ref": service.case_reference(case.id), **params}, case_id=case.id,
    )  # fmt: skip


def _tell(session: Session, telling: Telling, *, tenant: str, **audience: Any) -> None:
    """Tell `telling` to everyone the tenant's rules name for its kind (`audience`: the case,
    office, assignee or previous assignee they are worked out from)."""
    to = service.recipients(session=session, tenant=tenant, kind=telling.kind, **audience)
    service.notify(session=session, tenant=tenant, telling=telling, to=to)


def _tell_about_case(
    session: Session, event: Event, kind: str, *, anchor: str | None = None, **params: object
) -> None:
    case = _case(session, event)
    if case is None:  # not a case of this database: nothing to say
        return
    telling = _case_telling(event, case, kind, anchor, **params)
    _tell(session, telling, tenant=event.tenantid, case=case)


def on_deadline(kind: str) -> Callable[[Session, Event], None]:
    def handle(session: Session, event: Event) -> None:
        due = _last_day(session, event.tenantid, event.data["due_at"])
        _tell_about_case(session, event, kind, anchor="deadlines", rule=event.data["rule"], due=due)

    return handle


def on_assigned(session: Session, event: Event) -> None:
    case = _case(session, event)
    if case is None:
        return
    tenant, assignee = event.tenantid, event.data["assignee"]
    previous = event.data.get("previous_assignee")
    # Whoever took the case themselves needs no message about it.
    latest = session.execute(
        select(Assignment.assigned_by)
        .where(Assignment.case_id == case.id, Assignment.assignee == assignee)
        .order_by(Assignment.assigned_at.desc())
        .limit(1)
    ).scalar_one_or_none()
    if latest != assignee:
        # The assignee the event names, even if the case has moved on since.
        telling = _case_telling(event, case, "case_assigned")
        _tell(session, telling, tenant=tenant, case=case, assignee=assignee)
    if previous and previous != assignee:
        telling = _case_telling(event, case, "case_reassigned")
        _tell(session, telling, tenant=tenant, case=case, previous_assignee=previous)


def on_referred(session: Session, event: Event) -> None:
    """Told to the receiving centre (the event is the sending centre's): its coordinators
    hear a case is coming; the case itself opens there from intake's complaint."""
    partner = display_name(session=session, tenant_id=event.tenantid)
    telling = _telling(event, "case_referred_in", link="/staff/triage", params={"partner": partner})
    _tell(session, telling, tenant=event.data["to_tenant"])


def on_message_posted(session: Session, event: Event) -> None:
    complaint_id = event.data["complaint_id"]
    case = session.execute(
        select(Case).where(Case.complaint_id == complaint_id)
    ).scalar_one_or_none()
    if case is None:
        return
    if event.data["direction"] != "from_complainant":
        waiting.answered(session=session, complaint_id=complaint_id, at=event.data["posted_at"])
        return
    waiting.record(session=session, case=case, event=event)
    telling = _case_telling(event, case, "complainant_message", "messages")
    _tell(session, telling, tenant=event.tenantid, case=case)


def on_consent_recorded(session: Session, event: Event) -> None:
    _tell_about_case(session, event, "consent_recorded", anchor="consents")


def on_pattern_detected(session: Session, event: Event) -> None:
    data = event.data
    telling = _telling(
        event, "pattern_detected", link=f"/staff/alerts#alert-{data['alert_id']}",
        params={"dimension": data["dimension"], "value": data["value"], "count": data["count"]},
    )  # fmt: skip
    _tell(session, telling, tenant=event.tenantid, office=data.get("office"))


def on_webhook_disabled(session: Session, event: Event) -> None:
    params = {"failures": event.data["consecutive_failures"]}
    telling = _telling(event, "webhook_disabled", link="/staff", params=params)
    _tell(session, telling, tenant=event.tenantid)


def on_tenant_onboarded(session: Session, event: Event) -> None:
    tenant = event.tenantid
    names = event.data["tenant"].get("names", {})
    params = {"tenant": names.get("en") or tenant}
    _tell(session, _telling(event, "tenant_onboarded", link="/staff", params=params), tenant=tenant)


HANDLERS = {
    "case.deadline_approaching": on_deadline("deadline_approaching"),
    "case.deadline_missed": on_deadline("deadline_missed"),
    "case.assigned": on_assigned,
    "case.referred": on_referred,
    "case.consent_recorded": on_consent_recorded,
    "complaint.message_posted": on_message_posted,
    "alert.pattern_detected": on_pattern_detected,
    "partner.webhook_disabled": on_webhook_disabled,
    "tenant.onboarded": on_tenant_onboarded,
}
