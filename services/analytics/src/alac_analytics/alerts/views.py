"""Pattern alerts: detect, list, acknowledge, dismiss."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from alac_analytics.alerts import service
from alac_analytics.alerts.schemas import AlertComplaints, AlertRead, Detect, Handling
from alac_analytics.runtime import AnalyticsRuntime, runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import problem_responses

router = APIRouter(prefix="/v1/alerts", tags=["alerts"])
Watcher = Annotated[
    Principal, Depends(require_roles(roles.COORDINATOR, roles.TENANT_ADMIN, roles.ANALYST))
]
Runtime = Annotated[AnalyticsRuntime, Depends(runtime)]
ERRORS = problem_responses(
    401,
    403,
    (404, "No such alert in your tenant"),
    (409, "Already acknowledged or dismissed"),
    (422, "Invalid parameter or body"),
)


@router.post(
    "/detect",
    response_model=list[AlertRead],
    status_code=200,
    responses=ERRORS,
    summary="Run the pattern test now; returns the alerts it raised",
)
def detect(runtime: Runtime, principal: Watcher, body: Detect) -> list[AlertRead]:
    rule = service.Rule(
        window_days=body.window_days,
        baseline_windows=body.baseline_windows,
        alpha=body.alpha,
        min_count=body.min_count,
    )
    return service.detect_now(
        session_factory=runtime.session_factory,
        outbox=runtime.outbox,
        tenant=principal.tenant,
        window_end=body.window_end,
        rule=rule,
    )


@router.get("", response_model=list[AlertRead], responses=ERRORS, summary="Alerts, newest first")
def list_alerts(
    runtime: Runtime,
    principal: Watcher,
    status: Annotated[Literal["open", "acknowledged", "dismissed"] | None, Query()] = None,
) -> list[AlertRead]:
    return service.alerts_of(
        session_factory=runtime.session_factory, tenant=principal.tenant, status=status
    )


@router.get(
    "/{alert_id}/complaints",
    response_model=AlertComplaints,
    responses=ERRORS,
    summary="The complaints behind an alert (coordinators and tenant admins)",
    description="The complaints received in the alert's window with its value, oldest first: "
    "ids, case, office, day, channel and status, never their text. Listed only to the office "
    "level (coordinator, tenant admin); an analyst gets 403 and reads the alert's counts.",
)
def complaints(
    runtime: Runtime,
    principal: Watcher,
    alert_id: str,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> AlertComplaints:
    return service.complaints_of_alert(
        session_factory=runtime.session_factory,
        principal=principal,
        alert_id=alert_id,
        limit=limit,
    )


def _handle(
    runtime: AnalyticsRuntime, principal: Principal, alert_id: str, to: str, body: Handling
) -> AlertRead:
    return service.handle_alert(
        session_factory=runtime.session_factory,
        tenant=principal.tenant,
        alert_id=alert_id,
        to=to,
        by=principal.subject,
        note=body.note,
    )


@router.post("/{alert_id}/acknowledge", response_model=AlertRead, responses=ERRORS)
def acknowledge(runtime: Runtime, principal: Watcher, alert_id: str, body: Handling) -> AlertRead:
    return _handle(runtime, principal, alert_id, "acknowledged", body)


@router.post("/{alert_id}/dismiss", response_model=AlertRead, responses=ERRORS)
def dismiss(runtime: Runtime, principal: Watcher, alert_id: str, body: Handling) -> AlertRead:
    return _handle(runtime, principal, alert_id, "dismissed", body)
