"""GET /v1/complaints/{id}/contact: personal data, for lawyers and coordinators only, audited."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from alac_intake.complaints import service
from alac_intake.complaints.schemas import ContactDetails
from alac_intake.vault import service as vault
from alac_intake.vault import text_keys
from alac_kernel import crypto, sealed_text
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.problems import Problem, not_found

router = APIRouter(prefix="/v1", tags=["personal data"])
log = logging.getLogger("alac.intake.text_keys")

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


# The key service of the free text sealed in complaint.* events (alac_kernel.sealed_text). Not
# for people: a consumer (search, cases) presents its grant, never a user's token, so it is
# left out of the public OpenAPI document; docs/privacy.md describes it.
keys_router = APIRouter(prefix=sealed_text.KEYS_PATH, include_in_schema=False)


class TextKey(BaseModel):
    complaint_id: str
    key: str


@keys_router.get("/{tenant}/{complaint_id}")
def text_key(tenant: str, complaint_id: str, request: Request) -> TextKey:
    runtime = runtime_of(request)
    consumer = request.headers.get(sealed_text.CONSUMER_HEADER, "")
    grant = runtime.text_grants.get(consumer)
    if grant is None or not sealed_text.grant_matches(
        request.headers.get(sealed_text.GRANT_HEADER), grant
    ):
        raise Problem(401, "A consumer's grant is needed for complaint text keys.")
    if "\x00" in tenant + complaint_id:
        raise not_found("text key")
    with session_scope(runtime.session_factory, tenant=tenant) as session:
        key = text_keys.text_key(
            session=session, keys=runtime.master_keys, tenant=tenant,
            complaint_id=complaint_id, create=False,
        )  # fmt: skip
    if key is None:
        # Erased (or never sealed): the same answer either way, so nothing is learnt.
        raise Problem(410, "The complaint's text key does not exist (erased).")
    log.info("complaint text key given", extra={"consumer": consumer, "tenant_id": tenant})
    return TextKey(complaint_id=complaint_id, key=crypto.b64(key))
