"""The interface every search engine implements, and the values that cross it.

A document is one complaint together with the case opened for it. Its fields come from two
aggregates (the complaint, the case) whose events carry their own versions; every field keeps
the version of the event that last set it, and an event only sets fields whose stored version
is older. So a late or repeated event never overwrites newer data, and since case events are
deltas (assigned, status_changed...), an older delta still fills a field no newer event set.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, Self, get_args

from alac_kernel.cursors import CursorError as KernelCursorError
from alac_search.query.parser import Node

# Everything a document may hold. No personal data: no name, contact, address or document
# number ever reaches search (events do not carry them, and the projector copies only these).
INTAKE_FIELDS = (
    "office",
    "channel",
    "area",
    "sub_area",
    "authority_level",
    "respondent_body_type",
    "request_type",
    "corruption_related",
    "preferred_language",
    "received_at",
    "crux",
    "withdrawn",
)
CASE_FIELDS = ("case_id", "status", "assignee", "outcome")
DOCUMENT_FIELDS = INTAKE_FIELDS + CASE_FIELDS
FacetField = Literal["status", "area", "office", "channel", "authority_level", "assignee"]
FILTER_FIELDS: tuple[FacetField, ...] = get_args(FacetField)
FACET_FIELDS = FILTER_FIELDS
# Status of a complaint without a case (case statuses are the cases service's codes).
RECEIVED = "received"

Sort = Literal["relevance", "date"]


# A cursor that was not given out by this search (tampered, another key, another sort).
CursorError = KernelCursorError


@dataclass(frozen=True)
class SearchRequest:
    tenant: str
    query: Node
    filters: Mapping[str, str] = field(default_factory=dict)
    received_from: str | None = None  # RFC 3339, inclusive
    received_to: str | None = None  # RFC 3339, exclusive
    sort: Sort = "relevance"
    cursor: str | None = None
    limit: int = 20
    facets: Sequence[str] = ()
    with_hits: bool = True
    exclude_id: str | None = None
    highlight: bool = True
    # For counts-only answers: the engine also sums the record keys of each count's
    # complaints (alac_kernel.small_cells, cell-key perturbation).
    cell_keys: bool = False


@dataclass(frozen=True)
class Hit:
    id: str
    fields: dict[str, Any]
    snippet: str | None
    score: float


@dataclass(frozen=True)
class Page:
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]
    next_cursor: str | None
    # With `cell_keys`: the sums of record keys of the total and of each facet cell.
    total_key: int | None = None
    facet_keys: dict[str, dict[str, int]] = field(default_factory=dict)


class IndexWriter(Protocol):
    """What the projector writes through: an engine, or a rebuild's batch of writes."""

    def apply(self, tenant: str, doc_id: str, version: int, fields: Mapping[str, Any]) -> bool:
        """Set the fields whose stored version is older than `version`; True if any changed.
        A document of another tenant with the same id is never touched."""

    def soft_delete(self, tenant: str, doc_id: str, version: int) -> bool:
        """Hide the document from search (kept, so a late older event cannot revive it)."""


class SearchEngine(IndexWriter, Protocol):
    """What the service needs from an engine; both engines pass the same behaviour suite."""

    def apply_many(self, docs: list[tuple[str, str, int, dict[str, Any]]]) -> None:
        """`apply` for many (tenant, id, version, fields) at once, same outcome (rebuilds)."""

    def ensure_tenant(self, tenant: str) -> str:
        """Where the tenant's searches go, made ready now (OpenSearch: its filtered alias;
        the embedded engine: its token in the FTS rows, nothing to make)."""

    def delete_tenant(self, tenant: str) -> int:
        """Delete every document of `tenant` for good (an offboarded centre; not a soft
        delete: nothing of it may stay searchable or exportable); the number deleted."""

    def search(self, request: SearchRequest) -> Page: ...

    def get(self, tenant: str, doc_id: str) -> dict[str, Any] | None:
        """The visible document's fields in `tenant`, None if missing or another tenant's."""

    def similar(
        self, tenant: str, doc_id: str, *, limit: int = 10, filters: Mapping[str, str] = {}
    ) -> list[Hit]: ...

    def export(self) -> Iterator[tuple[str, str, dict[str, Any]]]:
        """Every document as (tenant, id, fields with versions), ordered by id (for checks)."""

    def begin_rebuild(self) -> Self:
        """A new, empty index beside the live one, to be filled and then swapped in."""

    def swap_in(self, rebuilt: Self) -> None:
        """Make `rebuilt` the live index in one atomic step; readers never see it empty."""

    def optimize(self) -> None:
        """Merge the index after a bulk load (a rebuild), before it serves."""

    def ping(self) -> None: ...

    def close(self) -> None: ...
