"""Complainants' messages waiting for an answer: recorded when posted, cleared by the office's
answer, and a periodic pass that tells the office coordinators of every message that has
waited more than the tenant's N working days (the deadline calendar's: weekends and
Kazakhstan's holidays do not count), once per message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from alac_cases.case.models import Case
from alac_cases.deadlines.calendar import holidays_between, is_working_day
from alac_cases.notifications import digest, rules, service
from alac_cases.notifications.models import WaitingMessage
from alac_kernel.db import session_scope, utcnow
from alac_kernel.events import Event


def record(*, session: Session, case: Case, event: Event) -> None:
    message_id = event.data["message_id"]
    if session.get(WaitingMessage, message_id) is None:
        session.add(
            WaitingMessage(
                message_id=message_id,
                tenant_id=case.tenant_id,
                complaint_id=case.complaint_id,
                case_id=case.id,
                office=case.office,
                posted_at=datetime.fromisoformat(event.data["posted_at"]),
            )
        )


def answered(*, session: Session, complaint_id: str, at: str) -> None:
    """The office wrote to the complainant: every message posted before is answered."""
    moment = datetime.fromisoformat(at)
    session.execute(
        update(WaitingMessage)
        .where(
            WaitingMessage.complaint_id == complaint_id,
            WaitingMessage.answered_at.is_(None),
            WaitingMessage.posted_at <= moment,
        )
        .values(answered_at=moment)
    )


def working_days_between(session: Session, start: date, end: date) -> int:
    """Working days after `start`, up to and including `end`."""
    if end <= start:
        return 0
    holidays = holidays_between(session=session, start=start, end=end)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if is_working_day(start + timedelta(days=offset), holidays)
    )


@dataclass
class PassResult:
    told: int = 0


def run_pass(*, session_factory: sessionmaker[Session], now: datetime | None = None) -> PassResult:
    """Tell coordinators of messages that waited too long; each message once (it is marked
    escalated in the same transaction as the notifications)."""
    now = now or utcnow()
    result = PassResult()
    with session_scope(session_factory, all_tenants=True) as session:
        rows = list(
            session.execute(
                select(WaitingMessage)
                .where(WaitingMessage.answered_at.is_(None), WaitingMessage.escalated_at.is_(None))
                .order_by(WaitingMessage.posted_at)
            ).scalars()
        )
        limits: dict[str, int | None] = {}
        for message in rows:
            tenant = message.tenant_id
            if tenant not in limits:
                limits[tenant] = rules.waiting_days(session=session, tenant=tenant)
            limit = limits[tenant]
            if limit is None:
                continue
            zone = digest.tenant_zone(session, tenant)
            posted = message.posted_at.astimezone(zone).date()
            waited = working_days_between(session, posted, now.astimezone(zone).date())
            if waited <= limit:
                continue
            message.escalated_at = now
            telling = service.Telling(
                kind="message_waiting",
                dedupe_key=f"waiting:{message.message_id}",
                link=service.case_link(message.case_id, "messages"),
                params={"ref": service.case_reference(message.case_id), "days": waited},
                case_id=message.case_id,
            )
            told = service.notify(
                session=session,
                tenant=tenant,
                telling=telling,
                to=service.recipients(
                    session=session, tenant=tenant, kind="message_waiting", office=message.office
                ),
                now=now,
            )
            result.told += len(told)
    return result
