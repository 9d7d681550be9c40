"""HTTP API of actions and internal notes."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import AwareDatetime, BaseModel, Field

from alac_cases.actions import service
from alac_cases.api import PROBLEMS, IfMatch, Strict, Versioned, list_of_case, unit_of_work
from alac_cases.files import audit, check_version, expected_version, load_case
from alac_cases.permissions import allowed
from alac_kernel.db import utcnow
from alac_kernel.problems import field_error

router = APIRouter(prefix="/v1", tags=["actions"])

ActionType = Literal[
    "meeting",
    "referral",
    "authority_response",
    "court_stage",
    "advice",
    "complaint_drafted",
    "letter_of_support",
    "other",
]
Scope = Literal["formal_action", "documents_to_authorities", "media", "referral", "share_contact"]


class MeetingDetails(Strict):
    with_whom: str = Field(min_length=1, max_length=400)
    place: str | None = Field(default=None, max_length=400)


class AuthorityResponseDetails(Strict):
    authority: str = Field(min_length=1, max_length=400)
    received_on: date
    decision: Literal["granted", "partly_granted", "refused", "forwarded", "other"]


class CourtStageDetails(Strict):
    court_instance: Literal["first_instance", "appeal", "cassation", "supervisory"]
    court: str = Field(min_length=1, max_length=400, description="Name of the court")
    hearing_date: date
    decision: str | None = Field(default=None, max_length=4000, description="Once decided")


# The details field of each action type (name in ActionIn); a meeting's are optional (a quick
# call with the client is a meeting too), an authority response and a court stage need theirs.
DETAILS_OF = {
    "meeting": "meeting",
    "authority_response": "authority_response",
    "court_stage": "court_stage",
}


class ActionIn(Versioned):
    action_type: ActionType
    summary: str = Field(min_length=1, max_length=8000)
    occurred_at: AwareDatetime | None = Field(default=None, description="Default: now")
    involves: list[Scope] = Field(
        default_factory=list,
        max_length=5,
        description="What the action does on the client's behalf beyond its type (e.g. media)",
    )
    meeting: MeetingDetails | None = Field(default=None, description="For a meeting")
    authority_response: AuthorityResponseDetails | None = Field(
        default=None, description="For an authority response"
    )
    court_stage: CourtStageDetails | None = Field(default=None, description="For a court stage")


class ActionRead(BaseModel):
    id: str
    action_type: str
    summary: str
    occurred_at: datetime
    consent_version: int | None
    to_tenant: str | None
    recorded_by: str
    recorded_at: datetime
    details: dict | None = None


class NoteIn(Strict):
    text: str = Field(min_length=1, max_length=8000)


class NoteRead(BaseModel):
    id: str
    text: str
    author: str
    author_name: str | None = None  # from the staff registry (invited staff)
    written_at: datetime


@router.post(
    "/cases/{case_id}/actions",
    response_model=ActionRead,
    status_code=201,
    responses=PROBLEMS,
    summary="Record an action (consent-gated when done on the client's behalf)",
)
def record_action(
    case_id: str,
    body: ActionIn,
    request: Request,
    response: Response,
    principal: allowed("action.write"),
    if_match: IfMatch = None,
) -> ActionRead:
    version = expected_version(if_match=if_match, body_version=body.version)
    occurred_at = body.occurred_at or utcnow()
    # Actions are records of what happened; a date far in the future is a typo.
    if occurred_at > utcnow() + timedelta(days=1):
        raise field_error("body.occurred_at", "in the future")
    if body.action_type == "referral":
        raise field_error("body.action_type", "use POST /v1/cases/{case_id}/referrals")
    if body.action_type == "letter_of_support":
        raise field_error("body.action_type", "use POST /v1/cases/{case_id}/letters")
    details = None
    for action_type, field in DETAILS_OF.items():
        given = getattr(body, field)
        if body.action_type == action_type and given is None and action_type != "meeting":
            raise field_error(f"body.{field}", f"required for a {action_type}")
        if body.action_type != action_type and given is not None:
            raise field_error(f"body.{field}", f"only for a {action_type}")
        if given is not None:
            details = given.model_dump(mode="json")
    with unit_of_work(request, principal) as (session, outbox):
        case = load_case(session=session, case_id=case_id, principal=principal, for_update=True)
        check_version(case, version)
        action = service.record(
            session=session,
            outbox=outbox,
            case=case,
            principal=principal,
            action_type=body.action_type,
            summary=body.summary,
            occurred_at=occurred_at,
            involves=list(body.involves),
            details=details,
        )
        audit(
            session=session,
            principal=principal,
            what="action.record",
            case_id=case.id,
            detail={"action_id": action.id, "action_type": action.action_type},
        )
        response.headers["ETag"] = f'"{case.version}"'
        return ActionRead.model_validate(action, from_attributes=True)


@router.get(
    "/cases/{case_id}/actions",
    response_model=list[ActionRead],
    responses=PROBLEMS,
    summary="Actions of a case, oldest first",
)
def list_actions(
    case_id: str, request: Request, principal: allowed("action.read")
) -> list[ActionRead]:
    return list_of_case(
        request,
        principal,
        case_id=case_id,
        what="action.read",
        rows=service.list_actions,
        read=ActionRead,
    )


@router.post(
    "/cases/{case_id}/notes",
    response_model=NoteRead,
    status_code=201,
    responses=PROBLEMS,
    summary="Write an internal note (never shown to the complainant, never in events)",
)
def add_note(
    case_id: str, body: NoteIn, request: Request, principal: allowed("note.write")
) -> NoteRead:
    with unit_of_work(request, principal) as (session, _):
        case = load_case(session=session, case_id=case_id, principal=principal)
        note = service.add_note(session=session, case=case, principal=principal, text=body.text)
        audit(
            session=session,
            principal=principal,
            what="note.write",
            case_id=case.id,
            detail={"note_id": note.id},
        )
        return NoteRead.model_validate(note, from_attributes=True)


@router.get(
    "/cases/{case_id}/notes",
    response_model=list[NoteRead],
    responses=PROBLEMS,
    summary="Internal notes of a case, oldest first",
)
def list_notes(case_id: str, request: Request, principal: allowed("note.read")) -> list[NoteRead]:
    return list_of_case(
        request,
        principal,
        case_id=case_id,
        what="note.read",
        rows=service.list_notes,
        read=NoteRead,
    )
