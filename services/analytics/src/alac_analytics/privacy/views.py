"""GET/PUT /v1/privacy/settings: the tenant's small-cell threshold (tenant admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_analytics.privacy import service
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import PROBLEM_JSON

router = APIRouter(prefix="/v1/privacy", tags=["privacy"])
Admin = Annotated[Principal, Depends(require_roles(roles.TENANT_ADMIN))]
ERRORS = {
    401: {"description": "Missing or invalid access token", "content": {PROBLEM_JSON: {}}},
    403: {"description": "Role not allowed", "content": {PROBLEM_JSON: {}}},
    422: {"description": "Invalid body", "content": {PROBLEM_JSON: {}}},
}


class PrivacySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    small_cell_threshold: int = Field(
        ge=service.DEFAULT_THRESHOLD,
        le=1000,
        strict=True,
        description="Counts below this are hidden from roles under coordinator and across "
        "tenants; never below the platform default of 5.",
    )


@router.get("/settings", response_model=PrivacySettings, responses=ERRORS)
def get_settings(request: Request, principal: Admin) -> PrivacySettings:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        value = service.threshold(session=session, tenant=principal.tenant)
    return PrivacySettings(small_cell_threshold=value)


@router.put("/settings", response_model=PrivacySettings, responses=ERRORS)
def put_settings(request: Request, principal: Admin, body: PrivacySettings) -> PrivacySettings:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        service.set_threshold(
            session=session, tenant=principal.tenant, value=body.small_cell_threshold,
            outbox=runtime.outbox,
        )  # fmt: skip
    return body
