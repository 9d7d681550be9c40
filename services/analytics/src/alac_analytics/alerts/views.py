"""Pattern alerts: detect, list, acknowledge, dismiss."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_analytics.alerts import service
from alac_analytics.periods import FIRST_DAY, LAST_DAY
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope, utcnow
from alac_kernel.problems import PROBLEM_JSON

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
Watcher = Annotated[
    Principal, Depends(require_roles(roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST))
]
ERRORS = {
    401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
    403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
    404: {"description": "No such alert in your tenant", "content": {PROBLEM_JSON: {}}},
    409: {"description": "Already acknowledged or dismissed", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid parameter or body", "content": {PROBLEM_JSON: {}}},
}


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    dimension: str
    value: str
    window_start: date
    window_end: date = Field(description="Exclusive")
    count: int
    baseline: float = Field(description="Expected count per window, from the value's history")
    p_value: float
    method: str
    status: str
    detected_at: datetime
    handled_by: str | None
    handled_at: datetime | None
    note: str | None


class Detect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_end: date | None = Field(
        default=None, description="Exclusive; defaults to today", ge=FIRST_DAY, le=LAST_DAY
    )
    window_days: int = Field(default=30, ge=7, le=366, strict=True)
    baseline_windows: int = Field(default=6, ge=1, le=24, strict=True)
    alpha: float = Field(default=0.001, gt=0, lt=0.5)
    min_count: int = Field(default=5, ge=1, le=10000, strict=True)


class Handling(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    note: str | None = Field(default=None, max_length=2000)


@router.post(
    "/detect",
    response_model=list[AlertRead],
    status_code=200,
    responses=ERRORS,
    summary="Run the pattern test now; returns the alerts it raised",
)
def detect(request: Request, principal: Watcher, body: Detect) -> list[AlertRead]:
    runtime = runtime_of(request)
    rule = service.Rule(
        window_days=body.window_days,
        baseline_windows=body.baseline_windows,
        alpha=body.alpha,
        min_count=body.min_count,
    )
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        found = service.detect(
            session=session,
            outbox=runtime.outbox,
            tenant=principal.tenant,
            window_end=body.window_end or utcnow().date(),
            rule=rule,
        )
        return [AlertRead.model_validate(a) for a in found]


@router.get("", response_model=list[AlertRead], responses=ERRORS, summary="Alerts, newest first")
def list_alerts(
    request: Request,
    principal: Watcher,
    status: Annotated[Literal["open", "acknowledged", "dismissed"] | None, Query()] = None,
) -> list[AlertRead]:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        return [
            AlertRead.model_validate(a) for a in service.list_alerts(session=session, status=status)
        ]


def _handle(
    request: Request, principal: Principal, alert_id: str, to: str, body: Handling
) -> AlertRead:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        alert = service.handle(
            session=session, alert_id=alert_id, to=to, by=principal.subject, note=body.note
        )
        return AlertRead.model_validate(alert)


@router.post("/{alert_id}/acknowledge", response_model=AlertRead, responses=ERRORS)
def acknowledge(request: Request, principal: Watcher, alert_id: str, body: Handling) -> AlertRead:
    return _handle(request, principal, alert_id, "acknowledged", body)


@router.post("/{alert_id}/dismiss", response_model=AlertRead, responses=ERRORS)
def dismiss(request: Request, principal: Watcher, alert_id: str, body: Handling) -> AlertRead:
    return _handle(request, principal, alert_id, "dismissed", body)
