"""GET/PUT /v1/privacy/settings: the tenant's small-cell threshold (tenant admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from alac_analytics.privacy import service
from alac_analytics.runtime import AnalyticsRuntime, runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.problems import problem_responses
from alac_kernel.small_cells import DEFAULT_THRESHOLD

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])
Admin = Annotated[Principal, Depends(require_roles(roles.TENANT_ADMIN))]
Runtime = Annotated[AnalyticsRuntime, Depends(runtime)]
ERRORS = problem_responses(401, 403, (422, "Invalid body"))


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    small_cell_threshold: int = Field(
        ge=DEFAULT_THRESHOLD,
        le=1000,
        strict=True,
        description="Counts below this are hidden from roles under coordinator and across "
        "tenants; never below the platform default of 5.",
    )


@router.get("/settings", response_model=PrivacySettings, responses=ERRORS)
def get_settings(runtime: Runtime, principal: Admin) -> PrivacySettings:
    value = service.read_threshold(session_factory=runtime.session_factory, tenant=principal.tenant)
    return PrivacySettings(small_cell_threshold=value)


@router.put("/settings", response_model=PrivacySettings, responses=ERRORS)
def put_settings(runtime: Runtime, principal: Admin, body: PrivacySettings) -> PrivacySettings:
    service.change_threshold(
        session_factory=runtime.session_factory,
        outbox=runtime.outbox,
        tenant=principal.tenant,
        value=body.small_cell_threshold,
    )
    return body
