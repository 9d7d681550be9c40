"""HTTP route of intake's part of a centre's offboarding archive (platform admin; called by the
cases service while it offboards the centre)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from alac_intake.offboarding import service
from alac_intake.views import Runtime
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal

router = APIRouter(prefix="/v1/tenants", tags=["tenants"])
PlatformAdmin = Annotated[Principal, Depends(require_roles(roles.PLATFORM_ADMIN))]


@router.post(
    "/{tenant_id}/archive",
    summary="Intake's rows of a suspended centre, for its offboarding archive",
    description="Called by the cases service while it offboards a centre (platform admin). "
    "Closes the centre's public offices, then answers every row intake holds of it, as stored "
    "(encrypted data stays encrypted; the keys are not included). 409 while intake has not "
    "yet applied the centre's suspension: send again.",
)
def archive(tenant_id: str, rt: Runtime, principal: PlatformAdmin) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "tables": service.archive(rt, tenant_id)}
