"""The case's own use cases: opening one per received complaint, listing and reading cases.
Each takes the runtime and the caller and is the whole use case (scope, audit, transaction);
the HTTP views and the command line only translate to and from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from alac_cases.case import events
from alac_cases.case.access import load_case_of_complaint
from alac_cases.case.commands import audit, read_case, unit_of_work
from alac_cases.case.models import ERASED_CRUX, Case
from alac_kernel.auth.principal import Principal
from alac_kernel.db import new_id, utcnow
from alac_kernel.errors import InvalidFields
from alac_kernel.events import Event
from alac_kernel.outbox import Outbox
from alac_kernel.runtime import ServiceRuntime
from alac_kernel.visibility import visibility


def initial_status(request_type: str | None) -> str:
    # An information request is answered on the spot (the quick-answer path); anything else
    # waits in the office's triage queue.
    return "quick_answer" if request_type == "information_request" else "triage"


def open_case_for_complaint(*, session: Session, outbox: Outbox, event: Event) -> Case | None:
    """Open the case of a newly received complaint, once. None for a complaint already
    handled, and for a historical one (imported with `historical: true`): it was dealt with
    before the platform, so a case would only put years-old work in triage queues."""
    data = event.data
    if data.get("historical"):
        return None
    existing = session.execute(
        select(Case.id).where(Case.complaint_id == data["complaint_id"])
    ).first()
    if existing is not None:
        return None  # one case per complaint, even if the complaint is sent twice
    case = Case(
        id=new_id(),
        tenant_id=event.tenantid,
        complaint_id=data["complaint_id"],
        office=data["office"],
        status=initial_status(data.get("request_type")),
        channel=data["channel"],
        request_type=data.get("request_type"),
        area=data.get("area"),
        anonymous=data["anonymous"],
        # None: the complaint was erased before the case opened (its text key is gone).
        crux=data["crux"] if data.get("crux") is not None else ERASED_CRUX,
        received_at=datetime.fromisoformat(data["received_at"]),
        opened_at=utcnow(),
        version=1,
        complaint_version=event.aggregateversion,
    )
    session.add(case)
    events.opened(session=session, outbox=outbox, case=case, correlation_id=event.correlationid)
    return case


def list_cases(
    runtime: ServiceRuntime,
    principal: Principal,
    *,
    office: str | None = None,
    status: str | None = None,
    limit: int = 50,
    before: datetime | None = None,
    before_id: str | None = None,
    assignee: str | None = None,
    complaint_id: str | None = None,
) -> list[Case]:
    """Newest first. The cursor is (opened_at, id) of the last item seen: opened_at alone is
    not unique, and a page boundary inside a run of equal timestamps would skip cases. A
    volunteer gets their own office's cases whatever `office` says."""
    if before_id is not None and before is None:
        raise InvalidFields.one("query.before_id", "only allowed together with query.before")
    office = visibility(principal).office_filter(office)
    query = select(Case).order_by(Case.opened_at.desc(), Case.id.desc()).limit(limit)
    if office:
        query = query.where(Case.office == office)
    if status:
        query = query.where(Case.status == status)
    if assignee:
        query = query.where(Case.assignee == assignee)
    if complaint_id:
        query = query.where(Case.complaint_id == complaint_id)
    if before and before_id:
        query = query.where(
            or_(Case.opened_at < before, and_(Case.opened_at == before, Case.id < before_id))
        )
    elif before:
        query = query.where(Case.opened_at < before)
    with unit_of_work(runtime, principal) as session:
        cases = list(session.execute(query).scalars())
        audit(
            session=session, principal=principal, what="case.list",
            detail={"case_ids": [c.id for c in cases]},
        )  # fmt: skip
    return cases


def get_case(runtime: ServiceRuntime, principal: Principal, *, case_id: str) -> Case:
    with read_case(runtime, principal, case_id=case_id, what="case.read") as case_file:
        return case_file.case


def get_case_of_complaint(
    runtime: ServiceRuntime, principal: Principal, *, complaint_id: str
) -> Case:
    """The case opened for a complaint, read (and audited) like `get_case`."""
    with unit_of_work(runtime, principal) as session:
        case = load_case_of_complaint(
            session=session, complaint_id=complaint_id, principal=principal
        )
        audit(session=session, principal=principal, what="case.read", case_id=case.id)
        return case
