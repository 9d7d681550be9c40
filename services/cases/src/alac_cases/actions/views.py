"""HTTP API of actions and internal notes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import AwareDatetime, BaseModel, Field

from alac_cases import views as http
from alac_cases.actions import service

router = APIRouter(prefix="/v1", tags=["actions"])

# The callers each route lets in (permissions.MATRIX).
ActionWriter = Annotated[http.CaseCommand, http.command("action.write")]
ActionReader = Annotated[http.OneCase, http.one_case("action.read")]
NoteWriter = Annotated[http.OneCase, http.one_case("note.write")]
NoteReader = Annotated[http.OneCase, http.one_case("note.read")]

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


class MeetingDetails(http.Strict):
    with_whom: str = Field(min_length=1, max_length=400)
    place: str | None = Field(default=None, max_length=400)


class AuthorityResponseDetails(http.Strict):
    authority: str = Field(min_length=1, max_length=400)
    received_on: date
    decision: Literal["granted", "partly_granted", "refused", "forwarded", "other"]


class CourtStageDetails(http.Strict):
    court_instance: Literal["first_instance", "appeal", "cassation", "supervisory"]
    court: str = Field(min_length=1, max_length=400, description="Name of the court")
    hearing_date: date
    decision: str | None = Field(default=None, max_length=4000, description="Once decided")


class ActionIn(http.Versioned):
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


class NoteIn(http.Strict):
    text: str = Field(min_length=1, max_length=8000)


class NoteRead(BaseModel):
    id: str
    text: str
    author: str
    author_name: str | None = None  # from the staff registry (invited staff)
    written_at: datetime


@router.post(
    "/cases/{case_id}/actions",
    **http.creates(ActionRead, "Record an action (consent-gated when done on the client's behalf)"),
)
def record_action(body: ActionIn, command: ActionWriter) -> ActionRead:
    details = {kind: getattr(body, kind) for kind in service.DETAILS_OF}
    recorded = service.record_action(
        **command.arguments(body),
        action_type=body.action_type,
        summary=body.summary,
        occurred_at=body.occurred_at,
        involves=list(body.involves),
        details={k: v.model_dump(mode="json") for k, v in details.items() if v is not None},
    )
    return command.recorded(ActionRead, recorded)


@router.get(
    "/cases/{case_id}/actions", **http.answers(list[ActionRead], "Actions of a case, oldest first")
)
def list_actions(case: ActionReader) -> list[ActionRead]:
    return http.read_all(ActionRead, service.actions_of_case(**case.arguments()))


@router.post(
    "/cases/{case_id}/notes",
    **http.creates(
        NoteRead, "Write an internal note (never shown to the complainant, never in events)"
    ),
)
def add_note(body: NoteIn, case: NoteWriter) -> NoteRead:
    note = service.write_note(**case.arguments(), text=body.text)
    return NoteRead.model_validate(note, from_attributes=True)


@router.get(
    "/cases/{case_id}/notes",
    **http.answers(list[NoteRead], "Internal notes of a case, oldest first"),
)
def list_notes(case: NoteReader) -> list[NoteRead]:
    return http.read_all(NoteRead, service.notes_of_case(**case.arguments()))
