"""Staff review of possible duplicates (flags are never acted on automatically)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from alac_intake import service
from alac_intake.duplicates import service as duplicates
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope

router = APIRouter(prefix="/v1", tags=["complaints"])
Staff = Annotated[
    Principal,
    Depends(require_roles(roles.VOLUNTEER, roles.LAWYER, roles.COORDINATOR, roles.TENANT_ADMIN)),
]


class DuplicateFlag(BaseModel):
    other_complaint_id: str
    reason: Literal["same_contact", "similar_text"]
    score: float
    flagged_at: datetime
    registered_later: bool  # true when this complaint's registration raised the flag


class DuplicateFlags(BaseModel):
    complaint_id: str
    possible_duplicates: list[DuplicateFlag]


@router.get(
    "/complaints/{complaint_id}/possible-duplicates",
    response_model=DuplicateFlags,
    summary="Possible duplicates of a complaint",
    description=(
        "Complaints of the same tenant flagged as possible duplicates of this one (same "
        "contact, or nearly the same text, within 90 days), either way round. For review "
        "only: nothing is merged."
    ),
)
def possible_duplicates(complaint_id: str, request: Request, principal: Staff) -> DuplicateFlags:
    with session_scope(runtime_of(request).session_factory, tenant=principal.tenant) as session:
        complaint = service.get_complaint(session=session, complaint_id=complaint_id)
        service.visible_to(principal, complaint)
        flags = duplicates.flags_of(
            session=session, complaint_id=complaint.id, tenant=principal.tenant
        )
        return DuplicateFlags(
            complaint_id=complaint.id,
            possible_duplicates=[DuplicateFlag.model_validate(f) for f in flags],
        )
