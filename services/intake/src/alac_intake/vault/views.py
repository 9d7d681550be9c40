"""GET /v1/complaints/{id}/contact: personal data, for lawyers and coordinators only, audited;
and the key service of complaint text keys for the consumers of complaint events."""

from __future__ import annotations

from fastapi import APIRouter, Request

from alac_intake.complaints.schemas import ContactDetails
from alac_intake.vault import service as vault
from alac_intake.vault import text_keys
from alac_intake.vault.schemas import TextKey, TextKeysAsked, TextKeysGiven
from alac_intake.views import ContactReader, Runtime
from alac_kernel import sealed_text

router = APIRouter(prefix="/v1", tags=["personal data"])


@router.get(
    "/complaints/{complaint_id}/contact",
    response_model=ContactDetails,
    summary="The complainant's contact details (audited)",
    description="Lawyers and coordinators of the complaint's tenant only; every read is logged.",
)
def read_contact(complaint_id: str, principal: ContactReader, rt: Runtime) -> ContactDetails:
    return ContactDetails.model_validate(vault.contact_of(rt, principal, complaint_id))


# The key service of the free text sealed in complaint.* events (alac_kernel.sealed_text). Not
# for people: a consumer (search, cases) presents its grant, never a user's token, so it is
# left out of the public OpenAPI document; docs/privacy.md describes it.
keys_router = APIRouter(prefix=sealed_text.KEYS_PATH, include_in_schema=False)


@keys_router.get("/{tenant}/{complaint_id}")
def text_key(tenant: str, complaint_id: str, request: Request, rt: Runtime) -> TextKey:
    key = text_keys.key_for_consumer(
        rt, consumer=request.headers.get(sealed_text.CONSUMER_HEADER, ""),
        grant=request.headers.get(sealed_text.GRANT_HEADER), tenant=tenant,
        complaint_id=complaint_id,
    )  # fmt: skip
    return TextKey(complaint_id=complaint_id, key=key)


@keys_router.post("/{tenant}")
def text_keys_of_batch(
    tenant: str, asked: TextKeysAsked, request: Request, rt: Runtime
) -> TextKeysGiven:
    """The keys of many complaints at once (a consumer's batch of events)."""
    keys = text_keys.keys_for_consumer(
        rt, consumer=request.headers.get(sealed_text.CONSUMER_HEADER, ""),
        grant=request.headers.get(sealed_text.GRANT_HEADER), tenant=tenant,
        complaint_ids=asked.complaint_ids,
    )  # fmt: skip
    return TextKeysGiven(keys=keys)
