"""Telling staff: who hears of what (through the rules), the console's notifications, and the
e-mails decided with them (the delivery outbox), plus what a staff member reads and sets.

Keyword-only functions on a session; they raise alac_kernel.errors, never HTTP statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from alac_cases.case.models import Case
from alac_cases.notifications import digest, rules
from alac_cases.notifications.models import (
    Notification,
    NotificationPreference,
    deliveries,
)
from alac_cases.staff.models import StaffMember
from alac_kernel import delivery
from alac_kernel.auth import roles
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import InvalidFields, NotFound

outbox = delivery.DeliveryOutbox(deliveries)
# Who is told is resolved with explicit tenant conditions on the tables (not the session's
# tenant scope): a case referred in is announced to the receiving tenant's staff while
# applying the sending tenant's event.
_staff = StaffMember.__table__
_told = Notification.__table__
_preferences = NotificationPreference.__table__


def case_reference(case_id: str) -> str:
    """The short reference staff know a case by (the one letters of support print)."""
    return case_id[:8]


def case_link(case_id: str, anchor: str | None = None) -> str:
    return f"/staff/cases/{case_id}" + (f"#{anchor}" if anchor else "")


# ------------------------------------------------------------------ who is told


def staff_of(*, session: Session, tenant: str, role: str, office: str | None = None) -> list[str]:
    """Active staff of `tenant` with `role` (in `office`, when given), by subject."""
    query = select(_staff.c.subject).where(
        _staff.c.tenant_id == tenant, _staff.c.role == role, _staff.c.active.is_(True)
    )
    if office is not None:
        query = query.where(_staff.c.office == office)
    return list(session.execute(query.order_by(_staff.c.subject)).scalars())


def coordinators(*, session: Session, tenant: str, office: str | None) -> list[str]:
    """The office's coordinators; the whole tenant's when the office has none (or is not
    known), so that someone always hears."""
    found = staff_of(session=session, tenant=tenant, role=roles.COORDINATOR, office=office)
    if office is not None and found:
        return found
    return staff_of(session=session, tenant=tenant, role=roles.COORDINATOR)


def recipients(
    *,
    session: Session,
    tenant: str,
    kind: str,
    case: Case | None = None,
    office: str | None = None,
    assignee: str | None = None,
    previous_assignee: str | None = None,
) -> list[str]:
    """Everyone the tenant's rules say is told of `kind`, each once. `assignee` stands for
    the case's current one (the one an assignment event names)."""
    office = office or (case.office if case is not None else None)
    assignee = assignee or (case.assignee if case is not None else None)
    told: list[str] = []
    for audience in rules.audiences_for(session=session, tenant=tenant, kind=kind):
        if audience == rules.ASSIGNEE:
            if assignee:
                told.append(assignee)
            else:
                told.extend(coordinators(session=session, tenant=tenant, office=office))
        elif audience == rules.PREVIOUS_ASSIGNEE:
            if previous_assignee:
                told.append(previous_assignee)
        elif audience == rules.OFFICE_COORDINATORS:
            told.extend(coordinators(session=session, tenant=tenant, office=office))
        elif audience == rules.TENANT_ADMINS:
            told.extend(staff_of(session=session, tenant=tenant, role=roles.TENANT_ADMIN))
    return list(dict.fromkeys(told))


@dataclass(frozen=True)
class Telling:
    """One thing to tell: what kind, about which case, with which title parameters."""

    kind: str
    dedupe_key: str  # unique per decision: the event id, or the periodic pass's own key
    link: str
    params: Mapping[str, Any]
    case_id: str | None = None
    event_id: str | None = None
    event_type: str | None = None


def notify(
    *,
    session: Session,
    tenant: str,
    telling: Telling,
    to: Iterable[str],
    now: datetime | None = None,
) -> list[Notification]:
    """A notification for each of `to` (once per person and decision), and its e-mail as
    each one's preferences say: at once, after their quiet hours, or in their digest."""
    now = now or utcnow()
    made = []
    for subject in dict.fromkeys(to):
        exists = session.execute(
            select(_told.c.id).where(
                _told.c.tenant_id == tenant,
                _told.c.recipient == subject,
                _told.c.dedupe_key == telling.dedupe_key,
            )
        ).first()
        if exists:
            continue
        notification = Notification(
            id=new_id(),
            tenant_id=tenant,
            recipient=subject,
            kind=telling.kind,
            dedupe_key=telling.dedupe_key,
            case_id=telling.case_id,
            case_reference=case_reference(telling.case_id) if telling.case_id else None,
            params=dict(telling.params),
            link=telling.link,
            event_id=telling.event_id,
            created_at=now,
        )
        session.add(notification)
        _plan_email(session=session, notification=notification, telling=telling, now=now)
        made.append(notification)
    session.flush()
    return made


def _plan_email(
    *, session: Session, notification: Notification, telling: Telling, now: datetime
) -> None:
    tenant, subject = notification.tenant_id, notification.recipient
    choice = preference(session=session, tenant=tenant, subject=subject)
    if not choice.email or not _has_address(session=session, tenant=tenant, subject=subject):
        return
    zone = digest.tenant_zone(session, tenant)
    quiet = (choice.quiet_start, choice.quiet_end) if choice.quiet_start else None
    if choice.digest == "daily":
        moment = now
        for _ in range(3):
            day, at = digest.next_digest(moment, zone, quiet)
            key = f"digest:{tenant}:{subject}:{day.isoformat()}"
            outbox.enqueue(
                session, tenant_id=tenant, dedupe_key=key, kind="digest", recipient=subject,
                payload={"day": day.isoformat()}, not_before=at,
            )  # fmt: skip
            found = outbox.find(session, key)
            if found is not None and found["state"] == delivery.PENDING:
                notification.digest_id = found["id"]
                return
            moment = at  # that day's digest already went: the next one
        return
    outbox.enqueue(
        session,
        tenant_id=tenant,
        dedupe_key=f"notification:{notification.id}",
        kind=notification.kind,
        recipient=subject,
        payload={"notification_id": notification.id},
        event_id=telling.event_id,
        event_type=telling.event_type,
        not_before=digest.after_quiet_hours(now, zone, quiet),
    )


def _has_address(*, session: Session, tenant: str, subject: str) -> bool:
    return (
        session.execute(
            select(_staff.c.email).where(
                _staff.c.tenant_id == tenant,
                _staff.c.subject == subject,
                _staff.c.active.is_(True),
                _staff.c.email.is_not(None),
            )
        ).first()
        is not None
    )


def recipient(*, session: Session, tenant: str, subject: str) -> Mapping[str, Any] | None:
    """The staff member's registry entry (e-mail, language, active), if any."""
    return (
        session.execute(
            select(_staff).where(_staff.c.tenant_id == tenant, _staff.c.subject == subject)
        )
        .mappings()
        .first()
    )


# ------------------------------------------------------------------ preferences


@dataclass(frozen=True)
class Preferences:
    email: bool = True
    digest: str = "off"
    quiet_start: str | None = None
    quiet_end: str | None = None


def preference(*, session: Session, tenant: str, subject: str) -> Preferences:
    p = _preferences
    row = session.execute(
        select(p.c.email, p.c.digest, p.c.quiet_start, p.c.quiet_end).where(
            p.c.tenant_id == tenant, p.c.subject == subject
        )
    ).first()
    return Preferences() if row is None else Preferences(*row)


DIGESTS = ("off", "daily")


def set_preference(
    *, session: Session, tenant: str, subject: str, wanted: Preferences
) -> Preferences:
    errors = []
    if wanted.digest not in DIGESTS:
        errors.append({"field": "body.digest", "reason": "one of off, daily"})
    if (wanted.quiet_start is None) != (wanted.quiet_end is None):
        errors.append({"field": "body.quiet_hours", "reason": "needs both start and end"})
    elif wanted.quiet_start is not None and wanted.quiet_start == wanted.quiet_end:
        errors.append({"field": "body.quiet_hours.end", "reason": "must differ from start"})
    if errors:
        raise InvalidFields.many(errors)
    row = session.get(NotificationPreference, (tenant, subject))
    if row is None:
        row = NotificationPreference(tenant_id=tenant, subject=subject)
        session.add(row)
    row.email, row.digest = wanted.email, wanted.digest
    row.quiet_start, row.quiet_end = wanted.quiet_start, wanted.quiet_end
    row.updated_at = utcnow()
    session.flush()
    return wanted


# ------------------------------------------------------------------ reading


def listing(
    *,
    session: Session,
    tenant: str,
    subject: str,
    unread: bool,
    limit: int,
    after: tuple[datetime, str] | None = None,
) -> list[Notification]:
    """The staff member's notifications, newest first; `after` is the (created_at, id) of
    the last one of the previous page."""
    query = select(Notification).where(
        Notification.tenant_id == tenant, Notification.recipient == subject
    )
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if after is not None:
        created, last_id = after
        query = query.where(
            or_(
                Notification.created_at < created,
                and_(Notification.created_at == created, Notification.id < last_id),
            )
        )
    query = query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)
    return list(session.execute(query).scalars())


def unread_count(*, session: Session, tenant: str, subject: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.tenant_id == tenant,
            Notification.recipient == subject,
            Notification.read_at.is_(None),
        )
    ).scalar_one()


def mark_read(*, session: Session, tenant: str, subject: str, notification_id: str) -> Notification:
    """Mark one of the caller's own notifications read (again: no change). Anyone else's is
    not found, as a missing one."""
    if "\x00" in notification_id:  # no id holds NUL, and PostgreSQL would refuse the query
        raise NotFound("notification")
    found = session.execute(
        select(Notification).where(
            Notification.id == notification_id,
            Notification.tenant_id == tenant,
            Notification.recipient == subject,
        )
    ).scalar_one_or_none()
    if found is None:
        raise NotFound("notification")
    if found.read_at is None:
        found.read_at = utcnow()
        session.flush()
    return found


def mark_all_read(*, session: Session, tenant: str, subject: str) -> int:
    result = session.execute(
        update(Notification)
        .where(
            Notification.tenant_id == tenant,
            Notification.recipient == subject,
            Notification.read_at.is_(None),
        )
        .values(read_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delivery_listing(
    *, session: Session, tenant: str, status: str, limit: int
) -> list[dict[str, Any]]:
    """The tenant's e-mail deliveries (for its admin): to whom, for which event, attempts,
    the last error and the next attempt; never an address or a body."""
    if status not in delivery.STATES:
        raise InvalidFields.one("query.status", f"one of {', '.join(delivery.STATES)}")
    rows = outbox.listing(session, tenant_id=tenant, status=status, limit=limit)
    names = {
        r.subject: r.display_name
        for r in session.execute(
            select(_staff.c.subject, _staff.c.display_name).where(
                _staff.c.tenant_id == tenant,
                _staff.c.subject.in_({row["recipient"] for row in rows}),
            )
        )
    }
    return [{**row, "recipient_name": names.get(row["recipient"])} for row in rows]
