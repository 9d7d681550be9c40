"""The one way a use case reads or changes a case file.

Every change of a case is the same unit of work: load the case within the caller's tenant and
office (missing to anyone else) and lock its row, compare the version the caller last read,
let the use case change it (its events go to the outbox in this transaction), record the change
in the audit trail, commit. Every read of a case file is audited the same way. Use cases say
what they do and this module does the rest once:

    with change_case(runtime, principal, case_id=..., expected=3, what="case.transition") as c:
        workflow.transition(session=c.session, outbox=c.outbox, case=c.case, ...)
        c.audit_detail = {"to_status": ...}
    return c.case
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from alac_cases.audit import service as audit_trail
from alac_cases.case.access import load_case
from alac_cases.case.models import Base, Case
from alac_cases.permissions import main_role
from alac_kernel.auth.principal import Principal
from alac_kernel.db import session_scope
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.versions import check_version

Record = TypeVar("Record")

# A table of records that belong to one case (a `case_id` column): actions, notes, letters...
Row = TypeVar("Row", bound=Base)


@dataclass
class CaseFile:
    """What a use case works with inside `read_case`/`change_case`."""

    session: Session
    outbox: Outbox
    case: Case
    principal: Principal
    # Recorded with the audit entry when the block ends (e.g. the id of what was made).
    audit_detail: dict[str, Any] | None = field(default=None)
    # Further reads of the case file made in the block (their `what`s), recorded after its
    # own entry in one append to the trail (the case file: a read per part it holds).
    also_read: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Recorded(Generic[Record]):
    """What a change made (an action, a consent, a letter...) and the case version after it
    (the ETag of the answer)."""

    record: Record
    case_version: int


@contextmanager
def unit_of_work(runtime: ServiceRuntime, principal: Principal) -> Iterator[Session]:
    """A transaction in the caller's tenant: commit on success, roll back on any error."""
    with session_scope(runtime.session_factory, tenant=principal.tenant) as session:
        yield session


@contextmanager
def read_case(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    what: str,
    detail: dict[str, Any] | None = None,
) -> Iterator[CaseFile]:
    """A read of a case file the caller may see (NotFound otherwise), audited as `what` once
    the block has read what it needed (the audit entry of this read is not part of it)."""
    with _case_file(runtime, principal, case_id=case_id, for_update=False) as case_file:
        case_file.audit_detail = detail
        yield case_file
        _audit(case_file, what)


@contextmanager
def change_case(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    case_id: str,
    what: str,
    expected: int | None,
    detail: dict[str, Any] | None = None,
) -> Iterator[CaseFile]:
    """A change of a case file: the row locked, the version the caller last read compared
    (StaleVersion; `expected=None` for changes that do not move the version, such as notes),
    the change audited as `what`."""
    with _case_file(runtime, principal, case_id=case_id, for_update=True) as case_file:
        if expected is not None:
            check_version("case", expected=expected, current=case_file.case.version)
        case_file.audit_detail = detail
        yield case_file
        _audit(case_file, what)
        # The answer is read after the commit: load what the change left expired (the
        # assignee's name, read with the row) while the transaction is still open.
        loaded(case_file.session, case_file.case)


@contextmanager
def _case_file(
    runtime: ServiceRuntime, principal: Principal, *, case_id: str, for_update: bool
) -> Iterator[CaseFile]:
    with unit_of_work(runtime, principal) as session:
        case = load_case(
            session=session, case_id=case_id, principal=principal, for_update=for_update
        )
        yield CaseFile(session=session, outbox=runtime.outbox, case=case, principal=principal)


def _audit(case_file: CaseFile, what: str) -> None:
    audit(
        session=case_file.session, principal=case_file.principal, what=what,
        case_id=case_file.case.id, detail=case_file.audit_detail, also_read=case_file.also_read,
    )  # fmt: skip


def audit(
    *,
    session: Session,
    principal: Principal,
    what: str,
    case_id: str | None = None,
    detail: dict[str, Any] | None = None,
    also_read: Iterable[str] = (),
) -> None:
    """Record a read or change of case files in the hash-chained audit trail, and after it
    each of `also_read` (further reads of the same case), in one append."""
    audit_trail.record_many(
        session=session, tenant_id=principal.tenant, actor=principal.subject,
        actor_role=main_role(principal),
        entries=[(what, case_id, detail), *((also, case_id, None) for also in also_read)],
    )  # fmt: skip


def loaded(session: Session, *records: object) -> None:
    """Load every attribute of `records` not loaded yet (names read with the row, values a
    flush expired), so they can still be read once the session is closed."""
    session.flush()
    for record in records:
        state = inspect(record)
        missing = set(state.unloaded) | set(state.expired_attributes)
        if missing:
            session.refresh(record, attribute_names=sorted(missing))


def rows_of_case(
    *, session: Session, model: type[Row], case_id: str, order_by: Sequence[Any]
) -> list[Row]:
    """The `model` records of one case, in `order_by` order (oldest first, as a rule)."""
    query = select(model).where(model.__table__.c.case_id == case_id).order_by(*order_by)
    return list(session.execute(query).scalars())


@dataclass(frozen=True)
class RecordsReader(Generic[Record]):
    """The use case "records of one case": the case within the caller's scope (NotFound
    otherwise), `rows(session=, case_id=)`, the read audited as `what`. The case file
    (alac_cases.casefile) reads several of them in one transaction by the same `what` and
    `rows`."""

    what: str
    rows: Callable[..., Iterable[Record]]

    def __call__(
        self, runtime: ServiceRuntime, principal: Principal, *, case_id: str
    ) -> list[Record]:
        with read_case(runtime, principal, case_id=case_id, what=self.what) as case_file:
            return list(self.rows(session=case_file.session, case_id=case_file.case.id))


def records_reader(what: str, rows: Callable[..., Iterable[Record]]) -> RecordsReader[Record]:
    return RecordsReader(what, rows)
