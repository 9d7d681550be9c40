"""Notifications' HTTP API: the signed-in staff member's own notifications (the console's bell
and list) and preferences, the tenant admin's view of e-mail deliveries, and the tenant's
rules. The views translate; the use cases (service.py) decide and raise domain errors."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from alac_cases.notifications import messages, rules, service
from alac_cases.notifications.models import Notification
from alac_cases.views import Runtime, Strict, allowed, answers
from alac_kernel.auth.principal import Principal
from alac_kernel.languages import negotiate

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

# The callers each route lets in (permissions.MATRIX).
Reader = Annotated[Principal, allowed("notification.read")]
DeliveryReader = Annotated[Principal, allowed("notification_delivery.read")]
RuleReader = Annotated[Principal, allowed("notification_rule.read")]
RuleWriter = Annotated[Principal, allowed("notification_rule.write")]

HHMM = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"


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
    digest: service.Digest = Field(
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
    "", **answers(NotificationPage, "The signed-in staff member's notifications, newest first")
)
def list_notifications(
    request: Request,
    runtime: Runtime,
    principal: Reader,
    unread: Annotated[bool, Query(description="Only the unread ones")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=600, description="`next` of the previous page")
    ] = None,
) -> NotificationPage:
    page = service.my_notifications(runtime, principal, unread=unread, limit=limit, cursor=cursor)
    language = negotiate(request)
    return NotificationPage(
        items=[_read(n, language) for n in page.items], unread=page.unread, next=page.next
    )


@router.post("/read-all", **answers(ReadAll, "Mark every one of the caller's notifications read"))
def read_all(runtime: Runtime, principal: Reader) -> ReadAll:
    return ReadAll(marked=service.mark_all_read(runtime, principal), unread=0)


@router.get(
    "/preferences",
    **answers(Preferences, "How the caller is told (e-mail, daily digest, quiet hours)"),
)
def get_preferences(runtime: Runtime, principal: Reader) -> Preferences:
    return _preferences_read(service.my_preferences(runtime, principal))


@router.put("/preferences", **answers(Preferences, "Set how the caller is told"))
def put_preferences(runtime: Runtime, principal: Reader, body: Preferences) -> Preferences:
    wanted = service.Preferences(
        email=body.email,
        digest=body.digest,
        quiet_start=body.quiet_hours.start if body.quiet_hours else None,
        quiet_end=body.quiet_hours.end if body.quiet_hours else None,
    )
    return _preferences_read(service.set_my_preferences(runtime, principal, wanted=wanted))


def _preferences_read(found: service.Preferences) -> Preferences:
    quiet = (
        QuietHours(start=found.quiet_start, end=found.quiet_end)
        if found.quiet_start and found.quiet_end
        else None
    )
    return Preferences(email=found.email, digest=found.digest, quiet_hours=quiet)


@router.get(
    "/deliveries",
    **answers(
        list[DeliveryRead],
        "The tenant's notification e-mails by state (tenant admin): failed ones to fix",
    ),
)
def list_deliveries(
    runtime: Runtime,
    principal: DeliveryReader,
    status: Annotated[
        Literal["failed", "pending", "sending", "sent", "cancelled"],
        Query(
            description="failed: given up, or failed at the last attempt and waiting for the next"
        ),
    ] = "failed",
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[DeliveryRead]:
    rows = service.tenant_deliveries(runtime, principal, status=status, limit=limit)
    return [DeliveryRead.model_validate(row) for row in rows]


@router.get(
    "/rules",
    **answers(
        list[RuleRead], "Who is told what in this tenant (the defaults with the tenant's changes)"
    ),
)
def get_rules(runtime: Runtime, principal: RuleReader) -> list[RuleRead]:
    return [RuleRead(**vars(r)) for r in service.tenant_rules(runtime, principal)]


@router.put(
    "/rules",
    **answers(
        list[RuleRead], "Switch rules on or off (tenant admin); rules not named keep what they were"
    ),
)
def put_rules(runtime: Runtime, principal: RuleWriter, body: RuleSet) -> list[RuleRead]:
    wanted = [rules.Rule(r.kind, r.audience, r.enabled, r.working_days) for r in body.rules]
    found = service.set_tenant_rules(runtime, principal, wanted=wanted)
    return [RuleRead(**vars(r)) for r in found]


@router.post(
    "/{notification_id}/read",
    **answers(NotificationRead, "Mark one of the caller's notifications read"),
)
def read_one(
    request: Request,
    runtime: Runtime,
    principal: Reader,
    notification_id: Annotated[str, Path(max_length=36)],
) -> NotificationRead:
    found = service.mark_read(runtime, principal, notification_id=notification_id)
    return _read(found, negotiate(request))
