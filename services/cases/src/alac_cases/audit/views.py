"""HTTP API of the audit trail of a case."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import BaseModel

from alac_cases.api import PROBLEMS, unit_of_work
from alac_cases.audit import service
from alac_cases.files import audit, load_case
from alac_cases.permissions import allowed

router = APIRouter(prefix="/v1", tags=["audit"])


class AuditRead(BaseModel):
    seq: int
    actor: str
    actor_name: str | None = None  # from the staff registry (invited staff)
    actor_role: str
    at: datetime
    what: str
    detail: dict
    hash: str


@router.get(
    "/cases/{case_id}/audit",
    response_model=list[AuditRead],
    responses=PROBLEMS,
    summary="Who read or changed this case file, and when (oldest first)",
)
def case_audit(case_id: str, request: Request, principal: allowed("audit.read")) -> list[AuditRead]:
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal)
        entries = service.entries_for_case(
            session=session, tenant_id=principal.tenant, case_id=case.id
        )
        result = [AuditRead.model_validate(e, from_attributes=True) for e in entries]
        # Reading the audit trail is itself a read of the case file.
        audit(session=session, principal=principal, what="audit.read", case_id=case.id)
        return result
