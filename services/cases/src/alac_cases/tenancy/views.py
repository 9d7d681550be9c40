"""HTTP API of the tenant registry (platform admin): onboard, list, read, suspend,
reactivate and offboard centres."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from alac_cases import views as http
from alac_cases.tenancy import archive, service
from alac_cases.tenancy.models import TenantRecord
from alac_kernel.auth.principal import Principal
from alac_kernel.tenants import TenantSpec

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])

# The callers each route lets in (permissions.MATRIX).
PlatformAdmin = Annotated[Principal, http.allowed("tenant.admin")]

RESPONSES = {
    **http.PROBLEMS,
    409: {"description": "Duplicate tenant id or name (named in `errors`), or wrong status"},
    **http.unavailable(
        "The identity provider cannot be reached: nothing was left half-made; "
        "send the same request again after Retry-After seconds to resume"
    ),
}


class TenantRead(BaseModel):
    id: str
    status: str = Field(description="onboarding, active, suspended or offboarded")
    steps_done: list[str] = Field(description="Onboarding steps done, in order")
    spec: dict[str, Any] = Field(description="The centre as registered (without its admin)")
    organization_id: str | None
    admin_user_id: str | None
    archive_sha256: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class SuspendIn(http.Strict):
    reason: str | None = Field(default=None, max_length=500)


def _read(record: TenantRecord) -> TenantRead:
    return TenantRead.model_validate(record, from_attributes=True)


@router.post(
    "",
    status_code=201,
    response_model=TenantRead,
    responses=RESPONSES,
    summary="Onboard a centre in one step (or resume an interrupted onboarding)",
    description="Creates the identity provider's organization, invites the first tenant admin "
    "(who sets a password and verifies the e-mail on first sign-in), registers the offices and "
    "settings and announces `tenant.onboarded`, from which every service provisions itself. "
    "Idempotent: sending the same centre again completes an interrupted onboarding.",
)
def onboard(body: TenantSpec, runtime: http.Runtime, principal: PlatformAdmin) -> TenantRead:
    record, _ = service.onboard(
        session_factory=runtime.session_factory, outbox=runtime.outbox,
        identity=runtime.identity, spec=body,
    )  # fmt: skip
    return _read(record)


@router.get("", response_model=list[TenantRead], responses=http.PROBLEMS, summary="Every tenant")
def list_tenants(runtime: http.Runtime, principal: PlatformAdmin) -> list[TenantRead]:
    return [_read(r) for r in service.every_tenant(runtime.session_factory)]


@router.get(
    "/{tenant_id}", response_model=TenantRead, responses=http.PROBLEMS, summary="One tenant"
)
def get_tenant(tenant_id: str, runtime: http.Runtime, principal: PlatformAdmin) -> TenantRead:
    return _read(service.one_tenant(runtime.session_factory, tenant_id))


@router.post(
    "/{tenant_id}/suspend",
    response_model=TenantRead,
    responses=RESPONSES,
    summary="Suspend a centre: its people can no longer sign in; its data is kept",
)
def suspend(
    tenant_id: str, body: SuspendIn, runtime: http.Runtime, principal: PlatformAdmin
) -> TenantRead:
    record = service.suspend(
        session_factory=runtime.session_factory, outbox=runtime.outbox,
        identity=runtime.identity, tenant_id=tenant_id, reason=body.reason,
    )  # fmt: skip
    return _read(record)


@router.post(
    "/{tenant_id}/reactivate",
    response_model=TenantRead,
    responses=RESPONSES,
    summary="Lift a suspension",
)
def reactivate(tenant_id: str, runtime: http.Runtime, principal: PlatformAdmin) -> TenantRead:
    record = service.reactivate(
        session_factory=runtime.session_factory, outbox=runtime.outbox,
        identity=runtime.identity, tenant_id=tenant_id,
    )  # fmt: skip
    return _read(record)


@router.post(
    "/{tenant_id}/offboard",
    response_model=TenantRead,
    responses=RESPONSES,
    summary="Offboard a suspended centre: export its archive, then delete it everywhere",
    description="The archive (zip of the tenant's case files) is written to the cases "
    "service's archive folder and its SHA-256 recorded; then the organization and its accounts "
    "are deleted and `tenant.offboarded` makes every service delete the tenant's data "
    "(intake deletes its data keys, which destroys its encrypted personal data).",
)
def offboard(
    tenant_id: str,
    runtime: http.Runtime,
    response: Response,
    principal: PlatformAdmin,
) -> TenantRead:
    record, path = service.offboard(
        session_factory=runtime.session_factory, outbox=runtime.outbox,
        identity=runtime.identity, tenant_id=tenant_id,
        archive_dir=runtime.settings.data_dir / "archives", export=archive.export_tenant,
    )  # fmt: skip
    response.headers["X-Archive-File"] = path.name
    return _read(record)
