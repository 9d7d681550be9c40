"""Notifications' HTTP API: the signed-in staff member's own notifications (the console's bell
and list) and preferences, the tenant admin's view of e-mail deliveries, and the tenant's
rules. The views translate; the service decides and raises domain errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from alac_cases.case.commands import unit_of_work as transaction
from alac_cases.case.http import PROBLEMS, Strict, allowed
from alac_cases.notifications import messages, rules, service
from alac_cases.notifications.models import Notification
from alac_kernel.app import runtime_of
from alac_kernel.auth.principal import Principal
from alac_kernel.cursors import CursorCodec, CursorError, load_cursor_key
from alac_kernel.errors import InvalidFields
from alac_kernel.outbox import Outbox
from alac_kernel.problems import request_language


@contextmanager
def unit_of_work(request: Request, principal: Principal) -> Iterator[tuple[Session, Outbox]]:
    """The caller's transaction (the notifications views still open their own)."""
    runtime = runtime_of(request)
    with transaction(runtime, principal) as session:
        yield session, runtime.outbox


router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

Reader = allowed("notification.read")
HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
CURSOR_KIND = "notifications"


class NotificationRead(BaseModel):
    id: str
    kind: str = Field(description="One of the kinds of the rules table (docs/notifications.md)")
    case_id: str | None
    case_reference: str | None = Field(description="The case's short reference, e.g. 6c7d8e9f")
    title: str = Field(description="In the language of Accept-Language (kk, ru, en)")
    link: str = Field(description="Path in the web console, e.g. /staff/cases/{id}")
    created_at: datetime
    read_at: datetime | None


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    unread: int = Field(description="The caller's unread notifications, all pages")
    next: str | None = Field(description="Cursor of the next page, null on the last")


class ReadAll(BaseModel):
    marked: int
    unread: int


class QuietHours(Strict):
    start: str = Field(pattern=HHMM, examples=["22:00"], description="Local time, HH:MM")
    end: str = Field(pattern=HHMM, examples=["07:00"], description="Local time, HH:MM")


class Preferences(Strict):
    email: bool = Field(default=True, description="E-mail besides the console")
    digest: Literal["off", "daily"] = Field(
        default="off", description="daily: one e-mail a day at 08:00 instead of one each"
    )
    quiet_hours: QuietHours | None = Field(
        default=None, description="No e-mail between these local times (the tenant's time zone)"
    )


class DeliveryRead(BaseModel):
    id: str
    recipient: str = Field(description="The staff member's subject")
    recipient_name: str | None
    kind: str
    event_type: str | None
    event_id: str | None
    state: str
    attempts: int
    last_error: str | None
    next_attempt_at: datetime | None
    created_at: datetime
    sent_at: datetime | None


class RuleRead(Strict):
    kind: str
    audience: str
    enabled: bool = True
    working_days: int | None = Field(
        default=None,
        ge=1,
        le=60,
        description="message_waiting only: working days a message may wait",
    )


class RuleSet(Strict):
    rules: list[RuleRead] = Field(min_length=1, max_length=100)


def _cursors(request: Request) -> CursorCodec:
    runtime = runtime_of(request)
    codec = getattr(runtime, "notification_cursors", None)
    if codec is None:
        codec = CursorCodec(load_cursor_key(runtime.settings))
        runtime.notification_cursors = codec  # type: ignore[attr-defined]
    return codec


def _read(notification: Notification, language: str) -> NotificationRead:
    return NotificationRead(
        id=notification.id,
        kind=notification.kind,
        case_id=notification.case_id,
        case_reference=notification.case_reference,
        title=messages.title(notification.kind, language, notification.params),
        link=notification.link,
        created_at=notification.created_at,
        read_at=notification.read_at,
    )


@router.get(
    "",
    response_model=NotificationPage,
    responses=PROBLEMS,
    summary="The signed-in staff member's notifications, newest first",
)
def list_notifications(
    request: Request,
    principal: Reader,
    unread: Annotated[bool, Query(description="Only the unread ones")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=600, description="`next` of the previous page")
    ] = None,
) -> NotificationPage:
    codec = _cursors(request)
    kind = f"{CURSOR_KIND}:{int(unread)}"
    after = None
    if cursor is not None:
        try:
            created, last_id = codec.decode(kind, cursor, [(str,), (str,)])
            after = (datetime.fromisoformat(created), last_id)
        except (CursorError, ValueError) as exc:
            raise InvalidFields.one("query.cursor", str(exc)) from None
    language = request_language(request)
    with unit_of_work(request, principal) as (session, _):
        found = service.listing(
            session=session, tenant=principal.tenant, subject=principal.subject,
            unread=unread, limit=limit + 1, after=after,
        )  # fmt: skip
        count = service.unread_count(
            session=session, tenant=principal.tenant, subject=principal.subject
        )
    page, more = found[:limit], len(found) > limit
    following = codec.encode(kind, [page[-1].created_at.isoformat(), page[-1].id]) if more else None
    return NotificationPage(items=[_read(n, language) for n in page], unread=count, next=following)


@router.post(
    "/read-all",
    response_model=ReadAll,
    responses=PROBLEMS,
    summary="Mark every one of the caller's notifications read",
)
def read_all(request: Request, principal: Reader) -> ReadAll:
    with unit_of_work(request, principal) as (session, _):
        marked = service.mark_all_read(
            session=session, tenant=principal.tenant, subject=principal.subject
        )
    return ReadAll(marked=marked, unread=0)


@router.get(
    "/preferences",
    response_model=Preferences,
    responses=PROBLEMS,
    summary="How the caller is told (e-mail, daily digest, quiet hours)",
)
def get_preferences(request: Request, principal: Reader) -> Preferences:
    with unit_of_work(request, principal) as (session, _):
        found = service.preference(
            session=session, tenant=principal.tenant, subject=principal.subject
        )
    return _preferences_read(found)


@router.put(
    "/preferences",
    response_model=Preferences,
    responses=PROBLEMS,
    summary="Set how the caller is told",
)
def put_preferences(request: Request, principal: Reader, body: Preferences) -> Preferences:
    wanted = service.Preferences(
        email=body.email,
        digest=body.digest,
        quiet_start=body.quiet_hours.start if body.quiet_hours else None,
        quiet_end=body.quiet_hours.end if body.quiet_hours else None,
    )
    with unit_of_work(request, principal) as (session, _):
        stored = service.set_preference(
            session=session, tenant=principal.tenant, subject=principal.subject, wanted=wanted
        )
    return _preferences_read(stored)


def _preferences_read(found: service.Preferences) -> Preferences:
    quiet = (
        QuietHours(start=found.quiet_start, end=found.quiet_end)
        if found.quiet_start and found.quiet_end
        else None
    )
    return Preferences(email=found.email, digest=found.digest, quiet_hours=quiet)  # type: ignore[arg-type]


@router.get(
    "/deliveries",
    response_model=list[DeliveryRead],
    responses=PROBLEMS,
    summary="The tenant's notification e-mails by state (tenant admin): failed ones to fix",
)
def list_deliveries(
    request: Request,
    principal: allowed("notification_delivery.read"),
    status: Annotated[
        Literal["failed", "pending", "sending", "sent", "cancelled"],
        Query(
            description="failed: given up, or failed at the last attempt and waiting for the next"
        ),
    ] = "failed",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryRead]:
    with unit_of_work(request, principal) as (session, _):
        rows = service.delivery_listing(
            session=session, tenant=principal.tenant, status=status, limit=limit
        )
    return [DeliveryRead.model_validate(row) for row in rows]


@router.get(
    "/rules",
    response_model=list[RuleRead],
    responses=PROBLEMS,
    summary="Who is told what in this tenant (the defaults with the tenant's changes)",
)
def get_rules(request: Request, principal: allowed("notification_rule.read")) -> list[RuleRead]:
    with unit_of_work(request, principal) as (session, _):
        found = rules.effective_rules(session=session, tenant=principal.tenant)
    return [RuleRead(**vars(r)) for r in found]


@router.put(
    "/rules",
    response_model=list[RuleRead],
    responses=PROBLEMS,
    summary="Switch rules on or off (tenant admin); rules not named keep what they were",
)
def put_rules(
    request: Request, principal: allowed("notification_rule.write"), body: RuleSet
) -> list[RuleRead]:
    wanted = [rules.Rule(r.kind, r.audience, r.enabled, r.working_days) for r in body.rules]
    with unit_of_work(request, principal) as (session, _):
        found = rules.set_rules(session=session, tenant=principal.tenant, rules=wanted)
    return [RuleRead(**vars(r)) for r in found]


@router.post(
    "/{notification_id}/read",
    response_model=NotificationRead,
    responses=PROBLEMS,
    summary="Mark one of the caller's notifications read",
)
def read_one(
    request: Request,
    principal: Reader,
    notification_id: Annotated[str, Path(max_length=36)],
) -> NotificationRead:
    with unit_of_work(request, principal) as (session, _):
        found = service.mark_read(
            session=session, tenant=principal.tenant, subject=principal.subject,
            notification_id=notification_id,
        )  # fmt: skip
        return _read(found, request_language(request))
