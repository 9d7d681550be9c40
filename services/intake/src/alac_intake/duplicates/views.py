"""Staff review of possible duplicates (flags are never acted on automatically). Each route
hands its input to a use case of duplicates.service."""

from __future__ import annotations

from fastapi import APIRouter

from alac_intake.duplicates import service as duplicates
from alac_intake.duplicates.schemas import DuplicateCheck, DuplicateCheckIn, DuplicateFlags
from alac_intake.views import Runtime, Staff

router = APIRouter(prefix="/v1", tags=["complaints"])


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
def possible_duplicates(complaint_id: str, principal: Staff, rt: Runtime) -> DuplicateFlags:
    return duplicates.flags_for(rt, principal, complaint_id)


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
def duplicate_check(body: DuplicateCheckIn, principal: Staff, rt: Runtime) -> DuplicateCheck:
    return duplicates.check_draft(rt, principal, body.crux, body.contact)
