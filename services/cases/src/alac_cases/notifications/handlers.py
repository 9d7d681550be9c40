"""The events notifications react to, each turned into a `Telling` for the audiences the
tenant's rules name. The consumer group (`cases-notifications`) applies each event at most
once: its inbox row commits with the notifications and e-mails it decided."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

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


def _case_telling(
    event: Event, case: Case, kind: str, anchor: str | None = None, **params: object
) -> Telling:
    return Telling(
        kind=kind,
        dedupe_key=f"{event.id}:{kind}",
        link=service.case_link(case.id, anchor),
        params={"ref": service.case_reference(case.id), **params},
        case_id=case.id,
        event_id=event.id,
        event_type=event.type,
    )


def _tell_about_case(
    session: Session, event: Event, kind: str, *, anchor: str | None = None, **params: object
) -> None:
    case = _case(session, event)
    if case is None:  # not a case of this database: nothing to say
        return
    service.notify(
        session=session,
        tenant=event.tenantid,
        telling=_case_telling(event, case, kind, anchor, **params),
        to=service.recipients(session=session, tenant=event.tenantid, kind=kind, case=case),
    )


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
        service.notify(
            session=session,
            tenant=tenant,
            telling=_case_telling(event, case, "case_assigned"),
            # The assignee the event names, even if the case has moved on since.
            to=service.recipients(
                session=session, tenant=tenant, kind="case_assigned", case=case, assignee=assignee
            ),
        )
    if previous and previous != assignee:
        service.notify(
            session=session,
            tenant=tenant,
            telling=_case_telling(event, case, "case_reassigned"),
            to=service.recipients(
                session=session, tenant=tenant, kind="case_reassigned", case=case,
                previous_assignee=previous,
            ),
        )  # fmt: skip


def on_referred(session: Session, event: Event) -> None:
    """Told to the receiving centre (the event is the sending centre's): its coordinators
    hear a case is coming; the case itself opens there from intake's complaint."""
    to_tenant = event.data["to_tenant"]
    service.notify(
        session=session,
        tenant=to_tenant,
        telling=Telling(
            kind="case_referred_in",
            dedupe_key=f"{event.id}:case_referred_in",
            link="/staff/triage",
            params={"partner": display_name(session=session, tenant_id=event.tenantid)},
            event_id=event.id,
            event_type=event.type,
        ),
        to=service.recipients(session=session, tenant=to_tenant, kind="case_referred_in"),
    )


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
    tenant = event.tenantid
    service.notify(
        session=session,
        tenant=tenant,
        telling=_case_telling(event, case, "complainant_message", "messages"),
        to=service.recipients(
            session=session, tenant=tenant, kind="complainant_message", case=case
        ),
    )


def on_consent_recorded(session: Session, event: Event) -> None:
    _tell_about_case(session, event, "consent_recorded", anchor="consents")


def on_pattern_detected(session: Session, event: Event) -> None:
    data, tenant = event.data, event.tenantid
    service.notify(
        session=session,
        tenant=tenant,
        telling=Telling(
            kind="pattern_detected",
            dedupe_key=f"{event.id}:pattern_detected",
            link=f"/staff/alerts#alert-{data['alert_id']}",
            params={"dimension": data["dimension"], "value": data["value"], "count": data["count"]},
            event_id=event.id,
            event_type=event.type,
        ),
        to=service.recipients(
            session=session, tenant=tenant, kind="pattern_detected", office=data.get("office")
        ),
    )


def on_webhook_disabled(session: Session, event: Event) -> None:
    tenant = event.tenantid
    service.notify(
        session=session,
        tenant=tenant,
        telling=Telling(
            kind="webhook_disabled",
            dedupe_key=f"{event.id}:webhook_disabled",
            link="/staff",
            params={"failures": event.data["consecutive_failures"]},
            event_id=event.id,
            event_type=event.type,
        ),
        to=service.recipients(session=session, tenant=tenant, kind="webhook_disabled"),
    )


def on_tenant_onboarded(session: Session, event: Event) -> None:
    tenant = event.tenantid
    names = event.data["tenant"].get("names", {})
    service.notify(
        session=session,
        tenant=tenant,
        telling=Telling(
            kind="tenant_onboarded",
            dedupe_key=f"{event.id}:tenant_onboarded",
            link="/staff",
            params={"tenant": names.get("en") or tenant},
            event_id=event.id,
            event_type=event.type,
        ),
        to=service.recipients(session=session, tenant=tenant, kind="tenant_onboarded"),
    )


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
