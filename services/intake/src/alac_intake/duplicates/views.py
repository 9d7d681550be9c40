"""Staff review of possible duplicates (flags are never acted on automatically)."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace
from typing import Annotated, Literal
from uuid import uuid4

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from alac_intake.complaints import service
from alac_intake.complaints.schemas import ContactDetails
from alac_intake.duplicates import service as duplicates
from alac_intake.vault import service as vault
from alac_kernel.app import runtime_of
from alac_kernel.auth import roles
from alac_kernel.auth.fastapi import require_roles
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope, utcnow

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


class DuplicateCheckIn(BaseModel):
    """A complaint being typed: its text and, if given, the contact."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    crux: str = Field(min_length=1, max_length=8000)
    contact: ContactDetails | None = None


class DuplicateCandidate(BaseModel):
    other_complaint_id: str
    reason: Literal["same_contact", "similar_text"]
    score: float


class DuplicateCheck(BaseModel):
    possible_duplicates: list[DuplicateCandidate]


@router.post(
    "/complaints/duplicate-check",
    response_model=DuplicateCheck,
    summary="Possible duplicates of a complaint not recorded yet",
    description=(
        "The same lookup as on registration (same contact, or nearly the same text, within 90 "
        "days, this tenant), for a complaint still being typed: the hotline form warns while "
        "the call goes on. Stores nothing and raises no flag."
    ),
)
def duplicate_check(body: DuplicateCheckIn, request: Request, principal: Staff) -> DuplicateCheck:
    runtime = runtime_of(request)
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        contact = body.contact.model_dump() if body.contact else None
        # Not a complaint: only the fields the lookup reads; without a contact the pseudonym
        # is of a fresh id, so it matches nothing.
        draft = SimpleNamespace(
            id="", tenant_id=principal.tenant, received_at=utcnow(), crux=body.crux,
            complainant_pseudonym=vault.pseudonym(
                session=session, keys=runtime.master_keys, tenant=principal.tenant,
                contact=contact, fallback=f"draft:{uuid4()}",
            ),
        )  # fmt: skip
        lookup = duplicates.find_possible_duplicates(session=session, complaint=draft)  # type: ignore[arg-type]
        seen: dict[str, DuplicateCandidate] = {}
        for flag in lookup.flags:
            seen.setdefault(flag.other_complaint_id, DuplicateCandidate(
                other_complaint_id=flag.other_complaint_id, reason=flag.reason, score=flag.score
            ))  # fmt: skip
        return DuplicateCheck(possible_duplicates=list(seen.values()))
