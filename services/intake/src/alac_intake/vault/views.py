"""GET /v1/complaints/{id}/contact: personal data, for lawyers and coordinators only, audited."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from alac_intake import service
from alac_intake.schemas import ContactDetails
from alac_intake.vault import service as vault
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import not_found

router = APIRouter(prefix="/v1", tags=["personal data"])

ContactReader = Annotated[Principal, Depends(require_roles(roles.LAWYER, roles.COORDINATOR))]


@router.get(
    "/complaints/{complaint_id}/contact",
    response_model=ContactDetails,
    summary="The complainant's contact details (audited)",
    description="Lawyers and coordinators of the complaint's tenant only; every read is logged.",
)
def read_contact(complaint_id: str, request: Request, principal: ContactReader) -> ContactDetails:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        service.get_complaint(session=session, complaint_id=complaint_id)
        role = roles.LAWYER if principal.has_any(roles.LAWYER) else roles.COORDINATOR
        contact = vault.read_contact_audited(
            session=session,
            keys=runtime.master_keys,
            complaint_id=complaint_id,
            tenant=principal.tenant,
            subject=principal.subject,
            role=role,
        )
        if contact is None:
            raise not_found("contact")
    return ContactDetails.model_validate(contact)
