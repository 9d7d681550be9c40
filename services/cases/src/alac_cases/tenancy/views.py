"""HTTP API of the tenant registry (platform admin): onboard, list, read, suspend,
reactivate and offboard centres."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypedDict

from fastapi import APIRouter, Header, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session, sessionmaker

from alac_cases import views as http
from alac_cases.runtime import CasesRuntime
from alac_cases.tenancy import archive, service, update
from alac_cases.tenancy.models import TenantRecord
from alac_kernel.auth.principal import Principal
from alac_kernel.identity import IdentityAdmin
from alac_kernel.outbox import Outbox
from alac_kernel.tenants import TenantChange, TenantSpec
from alac_kernel.versions import etag, expected_version

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])
own_router = APIRouter(prefix="/v1/tenant", tags=["tenants"])

# The callers each route lets in (permissions.MATRIX).
PlatformAdmin = Annotated[Principal, http.allowed("tenant.admin")]
TenantMember = Annotated[Principal, http.allowed("tenant.read")]

RESPONSES = {
    **http.PROBLEMS,
    409: {"description": "Duplicate tenant id or name (named in `errors`), or wrong status"},
    **http.unavailable(
        "The identity provider cannot be reached: nothing was left half-made; "
        "send the same request again after Retry-After seconds to resume"
    ),
}


UPDATE_RESPONSES = {
    **http.PROBLEMS,
    409: {
        **http.PROBLEMS[409],
        "description": "Stale If-Match, a name already in use, an office that still has staff "
        "(named in `errors`), or a tenant that is not active or suspended",
    },
    428: {**http.PROBLEMS[428], "description": "If-Match missing"},
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


class Registry(TypedDict):
    """What the registry's use cases work with besides their request: the database, the
    outbox and the identity provider."""

    session_factory: sessionmaker[Session]
    outbox: Outbox
    identity: IdentityAdmin


def _registry(runtime: CasesRuntime) -> Registry:
    return Registry(
        session_factory=runtime.session_factory, outbox=runtime.outbox, identity=runtime.identity
    )


def _changes(summary: str, **more: Any) -> dict[str, Any]:
    """The keywords of a route changing a centre through the identity provider: the centre as
    the registry holds it, and the problems of such a route (RESPONSES)."""
    return http.answers(TenantRead, summary, responses=RESPONSES, **more)


def _read(record: TenantRecord) -> TenantRead:
    return TenantRead.model_validate(record, from_attributes=True)


@router.post(
    "",
    **_changes(
        "Onboard a centre in one step (or resume an interrupted onboarding)",
        status_code=201,
        description="Creates the identity provider's organization, invites the first tenant admin "
        "(who sets a password and verifies the e-mail on first sign-in), registers the offices and "
        "settings and announces `tenant.onboarded`, from which every service provisions itself. "
        "Idempotent: sending the same centre again completes an interrupted onboarding.",
    ),
)
def onboard(body: TenantSpec, runtime: http.Runtime, principal: PlatformAdmin) -> TenantRead:
    record, _ = service.onboard(**_registry(runtime), spec=body)
    return _read(record)


@router.get("", **http.answers(list[TenantRead], "Every tenant"))
def list_tenants(runtime: http.Runtime, principal: PlatformAdmin) -> list[TenantRead]:
    return [_read(r) for r in service.every_tenant(runtime.session_factory)]


@router.get(
    "/{tenant_id}",
    **http.answers(TenantRead, "One tenant (its version as the ETag, for PATCH's If-Match)"),
)
def get_tenant(
    tenant_id: str, runtime: http.Runtime, response: Response, principal: PlatformAdmin
) -> TenantRead:
    record = service.one_tenant(runtime.session_factory, tenant_id)
    response.headers["ETag"] = etag(record.version)
    return _read(record)


@router.patch(
    "/{tenant_id}",
    **http.answers(
        TenantRead,
        "Change a centre's names, offices or settings",
        responses=UPDATE_RESPONSES,
        description="Each field given replaces the registry's value whole (an object or a list is "
        "given whole); fields left out keep theirs; the id and the first admin do not change. "
        "The result must be a valid centre, as on onboarding (errors name the field). Requires "
        "If-Match with the ETag of `GET /v1/tenants/{id}`. Announces `tenant.updated`, which "
        "every service applies; a change that changes nothing announces nothing.",
    ),
)
def update_tenant(
    tenant_id: str,
    body: TenantChange,
    runtime: http.Runtime,
    response: Response,
    principal: PlatformAdmin,
    if_match: Annotated[
        str | None,
        Header(alias="If-Match", max_length=40, description='Tenant version read, e.g. "3"'),
    ] = None,
) -> TenantRead:
    expected = expected_version(what="tenant", if_match=if_match, body_field=None)
    record, _ = update.update(
        session_factory=runtime.session_factory, outbox=runtime.outbox, tenant_id=tenant_id,
        change=body, expected=expected,
    )  # fmt: skip
    response.headers["ETag"] = etag(record.version)
    return _read(record)


@router.post(
    "/{tenant_id}/suspend",
    **_changes("Suspend a centre: its people can no longer sign in; its data is kept"),
)
def suspend(
    tenant_id: str, body: SuspendIn, runtime: http.Runtime, principal: PlatformAdmin
) -> TenantRead:
    record = service.suspend(**_registry(runtime), tenant_id=tenant_id, reason=body.reason)
    return _read(record)


@router.post("/{tenant_id}/reactivate", **_changes("Lift a suspension"))
def reactivate(tenant_id: str, runtime: http.Runtime, principal: PlatformAdmin) -> TenantRead:
    record = service.reactivate(**_registry(runtime), tenant_id=tenant_id)
    return _read(record)


@router.post(
    "/{tenant_id}/offboard",
    **_changes(
        "Offboard a suspended centre: export its archive, then delete it everywhere",
        description="The archive (zip of the tenant's case files and of intake's rows, asked of "
        "intake, which closes the centre's public offices first; `manifest.json` lists each "
        "file's SHA-256) is written to the cases service's archive folder and its SHA-256 "
        "recorded; then the organization and its accounts are deleted and `tenant.offboarded` "
        "makes every service delete the tenant's data (intake deletes its data keys, which "
        "destroys its encrypted personal data, in the archive too: keys are never archived). "
        "503 with Retry-After when intake cannot be reached: nothing is deleted.",
    ),
)
def offboard(
    tenant_id: str,
    runtime: http.Runtime,
    request: Request,
    response: Response,
    principal: PlatformAdmin,
) -> TenantRead:
    # Intake is asked for its rows with the platform admin's own token (it checks the role).
    token = request.headers["authorization"].partition(" ")[2].strip()
    record, path = service.offboard(
        **_registry(runtime), tenant_id=tenant_id,
        archive_dir=runtime.settings.data_dir / "archives", export=archive.export_tenant,
        intake_rows=lambda: runtime.intake_archive.fetch(tenant_id, token),
    )  # fmt: skip
    response.headers["X-Archive-File"] = path.name
    return _read(record)


class OwnTenantRead(BaseModel):
    id: str
    status: str = Field(description="active or suspended")
    spec: dict[str, Any] = Field(
        description="The centre as registered, without its first admin: names, offices, "
        "languages, letterhead, time_zone, deadlines..."
    )


@own_router.get(
    "",
    **http.answers(
        OwnTenantRead,
        "The caller's own centre as the registry holds it",
        description="What the staff pages need of their centre (its time zone, names, offices). "
        "404 for a centre from before the registry.",
    ),
)
def own_tenant(runtime: http.Runtime, principal: TenantMember) -> OwnTenantRead:
    record = service.one_tenant(runtime.session_factory, principal.tenant)
    return OwnTenantRead.model_validate(record, from_attributes=True)
