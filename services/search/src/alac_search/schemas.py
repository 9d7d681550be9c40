"""What search answers: hits (fields the caller may read, a highlighted snippet) and counts."""

from __future__ import annotations

from pydantic import BaseModel, Field


class SearchHit(BaseModel):
    id: str
    office: str | None = None
    channel: str | None = None
    area: str | None = None
    sub_area: str | None = None
    authority_level: str | None = None
    respondent_body_type: str | None = None
    received_at: str | None = None
    status: str | None = None
    case_id: str | None = None
    assignee: str | None = None
    assignee_name: str | None = Field(
        default=None, description="The assignee's name (cases' staff registry), when known"
    )
    outcome: str | None = None
    snippet: str | None = None


class SearchResults(BaseModel):
    query: str
    total: int | None = Field(
        description="null when a counts-only role would see 0 to small_cell_threshold - 1"
    )
    items: list[SearchHit]
    facets: dict[str, dict[str, int | None]] = Field(
        description="null cells are hidden small cells (or their complements) for counts-only roles"
    )
    next_cursor: str | None
    assignee_names: dict[str, str] = Field(
        default_factory=dict,
        description="Names of the assignees in `facets.assignee` (cases' staff registry)",
    )
    small_cell_threshold: int | None = Field(
        default=None, description="set when small counts were hidden from this role's answer"
    )


class SimilarResults(BaseModel):
    complaint_id: str
    items: list[SearchHit]
