"""Telling staff: who hears of what (through the rules), the console's notifications, and the
e-mails decided with them (the delivery outbox), plus what a staff member reads and sets.

Telling is done on the session of the event being applied (keyword-only functions on a
session); what a staff member or tenant admin asks for is a whole use case of the runtime and
the caller, each in its own unit of work. They raise alac_kernel.errors, never HTTP statuses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, RowMapping, and_, func, or_, select, update
from sqlalchemy.orm import Session

from alac_cases.case.commands import unit_of_work
from alac_cases.case.models import Case
from alac_cases.notifications import digest, rules
from alac_cases.notifications.models import (
    Notification,
    NotificationPreference,
    deliveries,
)
from alac_cases.runtime import CasesRuntime
from alac_cases.staff.models import StaffMember
from alac_kernel import delivery
from alac_kernel.auth import roles
from alac_kernel.auth.principal import Principal
from alac_kernel.cursors import CursorError
from alac_kernel.db import new_id, one_found, utcnow
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
    quiet = (
        (choice.quiet_start, choice.quiet_end) if choice.quiet_start and choice.quiet_end else None
    )
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


def recipient(*, session: Session, tenant: str, subject: str) -> RowMapping | None:
    """The staff member's registry entry (e-mail, language, active), if any."""
    return (
        session.execute(
            select(_staff).where(_staff.c.tenant_id == tenant, _staff.c.subject == subject)
        )
        .mappings()
        .first()
    )


# ------------------------------------------------------------------ preferences


Digest = Literal["off", "daily"]
DIGESTS: tuple[Digest, ...] = ("off", "daily")


@dataclass(frozen=True)
class Preferences:
    email: bool = True
    digest: Digest = "off"
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


def my_preferences(runtime: CasesRuntime, principal: Principal) -> Preferences:
    """How the caller is told (the defaults until they set their own)."""
    with unit_of_work(runtime, principal) as session:
        return preference(session=session, tenant=principal.tenant, subject=principal.subject)


def set_my_preferences(
    runtime: CasesRuntime, principal: Principal, *, wanted: Preferences
) -> Preferences:
    """Set how the caller is told, each field checked (InvalidFields naming them)."""
    errors = []
    if wanted.digest not in DIGESTS:
        errors.append({"field": "body.digest", "reason": "one of off, daily"})
    if (wanted.quiet_start is None) != (wanted.quiet_end is None):
        errors.append({"field": "body.quiet_hours", "reason": "needs both start and end"})
    elif wanted.quiet_start is not None and wanted.quiet_start == wanted.quiet_end:
        errors.append({"field": "body.quiet_hours.end", "reason": "must differ from start"})
    if errors:
        raise InvalidFields.many(errors)
    tenant, subject = principal.tenant, principal.subject
    with unit_of_work(runtime, principal) as session:
        row = session.get(NotificationPreference, (tenant, subject))
        if row is None:
            row = NotificationPreference(tenant_id=tenant, subject=subject)
            session.add(row)
        row.email, row.digest = wanted.email, wanted.digest
        row.quiet_start, row.quiet_end = wanted.quiet_start, wanted.quiet_end
        row.updated_at = utcnow()
    return wanted


# ------------------------------------------------------------------ reading


CURSOR_KIND = "notifications"


@dataclass(frozen=True)
class Page:
    """One page of the caller's notifications, newest first."""

    items: list[Notification]
    unread: int  # the caller's unread notifications, all pages
    next: str | None  # the cursor of the next page; None on the last


def my_notifications(
    runtime: CasesRuntime,
    principal: Principal,
    *,
    unread: bool = False,
    limit: int = 20,
    cursor: str | None = None,
) -> Page:
    """The caller's notifications (only the unread ones, if asked), `limit` a page; `cursor`
    is the `next` of the previous page (InvalidFields on `query.cursor` for a bad one)."""
    codec = runtime.notification_cursors
    # The filter is part of the cursor's kind: a page of "unread" cannot continue "all".
    kind = f"{CURSOR_KIND}:{int(unread)}"
    after = None
    if cursor is not None:
        try:
            created, last_id = codec.decode(kind, cursor, [(str,), (str,)])
            after = (datetime.fromisoformat(created), last_id)
        except (CursorError, ValueError) as exc:
            raise InvalidFields.one("query.cursor", str(exc)) from None
    tenant, subject = principal.tenant, principal.subject
    with unit_of_work(runtime, principal) as session:
        found = _listing(
            session=session, tenant=tenant, subject=subject,
            unread=unread, limit=limit + 1, after=after,
        )  # fmt: skip
        count = _unread_count(session=session, tenant=tenant, subject=subject)
    page, more = found[:limit], len(found) > limit
    following = codec.encode(kind, [page[-1].created_at.isoformat(), page[-1].id]) if more else None
    return Page(items=page, unread=count, next=following)


def _listing(
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


def _unread_count(*, session: Session, tenant: str, subject: str) -> int:
    return session.execute(
        select(func.count())
        .select_from(Notification)
        .where(
            Notification.tenant_id == tenant,
            Notification.recipient == subject,
            Notification.read_at.is_(None),
        )
    ).scalar_one()


def mark_read(runtime: CasesRuntime, principal: Principal, *, notification_id: str) -> Notification:
    """Mark one of the caller's own notifications read (again: no change). Anyone else's is
    not found, as a missing one."""
    if "\x00" in notification_id:  # no id holds NUL, and PostgreSQL would refuse the query
        raise NotFound("notification")
    with unit_of_work(runtime, principal) as session:
        mine = select(Notification).where(
            Notification.id == notification_id,
            Notification.tenant_id == principal.tenant,
            Notification.recipient == principal.subject,
        )
        found = one_found(session, mine, "notification")
        if found.read_at is None:
            found.read_at = utcnow()
    return found


def mark_all_read(runtime: CasesRuntime, principal: Principal) -> int:
    """Mark every unread notification of the caller's read; how many were."""
    with unit_of_work(runtime, principal) as session:
        # An UPDATE answers a CursorResult (its row count); Session.execute is typed wider.
        result = cast(
            CursorResult[Any],
            session.execute(
                update(Notification)
                .where(
                    Notification.tenant_id == principal.tenant,
                    Notification.recipient == principal.subject,
                    Notification.read_at.is_(None),
                )
                .values(read_at=utcnow())
            ),
        )
        return int(result.rowcount or 0)


# ------------------------------------------------------------------ the tenant admin's


def tenant_deliveries(
    runtime: CasesRuntime, principal: Principal, *, status: str, limit: int
) -> list[dict[str, Any]]:
    """The tenant's e-mail deliveries (for its admin): to whom, for which event, attempts,
    the last error and the next attempt; never an address or a body."""
    if status not in delivery.STATES:
        raise InvalidFields.one("query.status", f"one of {', '.join(delivery.STATES)}")
    tenant = principal.tenant
    with unit_of_work(runtime, principal) as session:
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


def tenant_rules(runtime: CasesRuntime, principal: Principal) -> list[rules.Rule]:
    """Who is told what in the caller's tenant: the defaults with the tenant's changes."""
    with unit_of_work(runtime, principal) as session:
        return rules.effective_rules(session=session, tenant=principal.tenant)


def set_tenant_rules(
    runtime: CasesRuntime, principal: Principal, *, wanted: list[rules.Rule]
) -> list[rules.Rule]:
    """Switch the named rules on or off (the others keep what they were); the rules after."""
    with unit_of_work(runtime, principal) as session:
        return rules.set_rules(session=session, tenant=principal.tenant, rules=wanted)
